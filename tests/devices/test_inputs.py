"""The Till-facing helpers: hubs from configuration strings, and learning a scanner."""

import queue
import time

from appliance.devices.discovery import DeviceInfo
from appliance.devices.inputs import keypad_hub, learn_scanner_device, scanner_hub
from appliance.devices.keymaps import EV_KEY, KEY_DOWN, KEY_UP, KEYS, keystrokes
from appliance.devices.keypad import KeypadAction
from appliance.devices.scanner import ScannerSettings
from tests.devices.helpers import PipeSource, write_keys

EAN = "4006381333931"


class Board:
    def __init__(self, *infos: DeviceInfo) -> None:
        self.infos = list(infos)
        self.sources = {info.path: PipeSource(info.path) for info in infos}

    def list_devices(self):
        return self.infos

    def open_device(self, info):
        return self.sources[info.path]


def run_hub(hub, board):
    hub.list_devices, hub.open_device, hub.interval_s = board.list_devices, board.open_device, 0.05
    hub.start()
    deadline = time.monotonic() + 10
    while not hub.devices and time.monotonic() < deadline:
        time.sleep(0.02)
    return hub


def test_scanner_hub_from_config_strings_passes_the_tills_validator():
    scanner = DeviceInfo("/dev/input/event3", "Barcode Reader", 0x1A86, 0xE026,
                         ("/dev/input/by-id/usb-cheap-scanner-event-kbd",))
    board = Board(scanner, DeviceInfo("/dev/input/event4", "Keyboard", 0x046D, 0xC31C))
    scans: queue.Queue = queue.Queue()
    rejects: queue.Queue = queue.Queue()
    hub = run_hub(scanner_hub(["/dev/input/by-id/usb-cheap-scanner-event-kbd"],
                              ScannerSettings("fr"), scans.put, on_reject=rejects.put,
                              is_acceptable=lambda code: code == EAN), board)
    try:
        assert hub.devices == ["/dev/input/event3"]
        write_keys(board.sources["/dev/input/event3"], keystrokes(EAN, "fr"))
        write_keys(board.sources["/dev/input/event3"], keystrokes("12345670", "fr"))
        assert scans.get(timeout=5).code == EAN
        assert rejects.get(timeout=5).text == "12345670"
    finally:
        hub.stop()


def test_keypad_hub_uses_only_named_devices_and_the_mapping():
    pad = DeviceInfo("/dev/input/event6", "USB Keypad", 0x05E0, 0x1200)  # even a scanner vendor
    idle = keypad_hub([], print)
    idle.list_devices = Board(pad).list_devices
    assert idle.rescan() == (set(), set())
    actions: queue.Queue = queue.Queue()
    board = Board(pad)
    hub = run_hub(keypad_hub(["name:keypad"], actions.put, mapping={"KEY_KPPLUS": "pay:card"}),
                  board)
    try:
        code = KEYS["KEY_KPPLUS"]
        write_keys(board.sources[pad.path], [(EV_KEY, code, KEY_DOWN), (EV_KEY, code, KEY_UP)])
        assert actions.get(timeout=5) == KeypadAction("pay", "card")
    finally:
        hub.stop()


def test_learning_returns_the_config_name_and_layout_and_closes_everything():
    scanner = DeviceInfo("/dev/input/event3", "Barcode Reader", 0x1A86, 0xE026,
                         ("/dev/input/by-id/usb-cheap-scanner-event-kbd",))
    keyboard = DeviceInfo("/dev/input/event4", "Keyboard", 0x046D, 0xC31C)
    board = Board(scanner, keyboard)
    write_keys(board.sources[keyboard.path], keystrokes("bonjour", "fr"))
    write_keys(board.sources[scanner.path], keystrokes(EAN, "us"))
    learnt = learn_scanner_device(EAN, 2, list_devices=board.list_devices,
                                  open_device=board.open_device)
    assert learnt is not None
    assert (learnt.config_name, learnt.layout) == (
        "/dev/input/by-id/usb-cheap-scanner-event-kbd", "us")
    assert all(source.closed for source in board.sources.values())


def test_learning_times_out_with_none():
    board = Board(DeviceInfo("/dev/input/event4", "Keyboard", 0x046D, 0xC31C))
    assert learn_scanner_device(EAN, 0.2, list_devices=board.list_devices,
                                open_device=board.open_device) is None
