"""Scanners and keypad (evdev), ESC/POS printers, cash drawers and the virtual printer.

What the Till, the configuration, the wizard and the commands use (each module imports its
optional library lazily):

    connection.parse_printer_address(text) -> PrinterAddress (TcpConnection, SerialConnection,
        UsbConnection, FileConnection or NoConnection); str(address) is the text again
    connection.parse_drawer_address(text)  -> DrawerAddress (ThroughPrinter, SerialConnection
        or NoConnection)
    printer.open_printer(address, *, profile, columns, code_page, drawer, timeout_s, logo)
        -> Printer: print_receipt(receipt), print_report(report), print_test_page(),
           send(data), status() -> status.PrinterStatus, close(); NullPrinter for none
    drawer.open_drawer(address, printer, settings) -> Drawer: kick(), is_open(), present
    detect.find_printers(), detect.network_printer(address) -> FoundPrinter (the wizard)
    inputs.scanner_hub(devices, ScannerSettings, on_scan, *, on_reject, is_acceptable)
    inputs.keypad_hub(devices, on_action, *, mapping)       -> discovery.InputHub (start/stop)
    inputs.learn_scanner_device(expected_code, timeout_s)   -> LearntDevice(config_name, layout)
    virtual_printer.running_virtual_printer(out_dir)        -> VirtualPrinter (tests, demo)
    errors: DeviceError > BadConnectionString, PrinterUnavailable > PaperOut, DrawerError,
            ScannerLost

Addresses are parsed once, where text comes in; everything below takes the typed values. A
drawer on the printer's DK port needs only `drawer.HostPrinter` of its printer (send bytes,
read the status), so `printer` imports `drawer` and never the reverse. Callbacks of scanner and
keypad hubs run on reader threads: hop to the UI thread before touching widgets. Rendering
(`receipt_render`, `escpos_build`) is pure; only `transports` touches the wire.
"""
