"""The Kivy kiosk. It calls only the Till."""
