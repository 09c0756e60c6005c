"""The sale domain: pure Python, no I/O, importing nothing else of ours (DESIGN.md section 3).

Money, VAT, tickets, tenders, cash sessions, barcodes and receipt documents. Everything that
touches a disk, a socket, a device, a clock or a screen lives around this package and passes
plain values in.
"""
