"""Kafinea (vtiger webservice) client, schema map, ticket mapping, sync worker and sandbox."""
