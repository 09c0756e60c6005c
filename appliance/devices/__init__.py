"""Scanners and keypad (evdev), ESC/POS printers, cash drawers and the virtual printer.

What the Till and the commands use (each module imports its optional library lazily):

    printer.open_printer(connection, *, profile, columns, code_page, drawer, timeout_s, logo)
        -> Printer: print_receipt(receipt), print_report(report), print_test_page(),
           kick_drawer(), status() -> status.PrinterStatus, close(); NullPrinter for "none"
    drawer.open_drawer(connection, printer, settings) -> Drawer: kick(), is_open()
    inputs.scanner_hub(devices, ScannerSettings, on_scan, *, on_reject, is_acceptable)
    inputs.keypad_hub(devices, on_action, *, mapping)       -> discovery.InputHub (start/stop)
    inputs.learn_scanner_device(expected_code, timeout_s)   -> LearntDevice(config_name, layout)
    virtual_printer.running_virtual_printer(out_dir)        -> VirtualPrinter (tests, demo)
    errors: DeviceError > BadConnectionString, PrinterUnavailable > PaperOut, DrawerError,
            ScannerLost

Callbacks of scanner and keypad hubs run on reader threads: hop to the UI thread before
touching widgets. Rendering (`receipt_render`) is pure; only `transports` touches the wire.
"""
