"""Scanners through evdev's real reader on a pipe (kernel-format events), threads and hubs."""

import os
import queue
import threading
import time
from pathlib import Path

import evdev
import pytest

from appliance.devices.discovery import (
    DeviceInfo,
    InputHub,
    open_grabbed,
    parse_matcher,
    plan_changes,
    select_devices,
)
from appliance.devices.errors import DeviceError, ScannerLost
from appliance.devices.input_reader import InputReader
from appliance.devices.keymaps import keystrokes
from appliance.devices.scanner import (
    RejectedScan,
    Scan,
    ScanConsumer,
    ScannerSettings,
    learn_scanner,
    pos_barcode_acceptable,
)
from appliance.pos.barcode import check_digit
from tests.devices.helpers import PipeSource, write_keys

EAN = "4006381333931"
EAN8 = "96385074"


def start_reader(source, settings, is_acceptable=pos_barcode_acceptable):
    scans: queue.Queue = queue.Queue()
    rejects: queue.Queue = queue.Queue()
    lost: queue.Queue = queue.Queue()
    consumer = ScanConsumer(source.path, settings, scans.put, rejects.put, is_acceptable)
    reader = InputReader(source, consumer, lost.put)
    reader.start()
    return reader, scans, rejects, lost


@pytest.mark.parametrize("layout", ["us", "fr"])
def test_scan_through_evdev_reader_in_each_layout(layout):
    source = PipeSource()
    reader, scans, rejects, _ = start_reader(source, ScannerSettings(layout=layout))
    write_keys(source, keystrokes(EAN, layout))
    scan = scans.get(timeout=5)
    assert scan == Scan(EAN, source.path, layout)
    assert rejects.empty()
    reader.stop()


def test_auto_layout_picks_the_one_that_reads_a_barcode():
    source = PipeSource()
    reader, scans, _, _ = start_reader(source, ScannerSettings(layout="auto"))
    write_keys(source, keystrokes(EAN, "fr"))
    write_keys(source, keystrokes(EAN8, "us"))
    assert [scans.get(timeout=5) for _ in range(2)] == [
        Scan(EAN, source.path, "fr"), Scan(EAN8, source.path, "us")]
    reader.stop()


def test_garbage_is_rejected_with_the_layout_that_would_have_worked():
    source = PipeSource()
    reader, scans, rejects, _ = start_reader(source, ScannerSettings(layout="fr"))
    write_keys(source, keystrokes(EAN, "us"))  # US scanner on a French-configured till
    write_keys(source, keystrokes("4006381333932", "fr"))  # bad check digit
    first, second = rejects.get(timeout=5), rejects.get(timeout=5)
    assert first == RejectedScan(
        "'àà-\"_&\"\"\"ç\"&", source.path,
        "code illisible par la caisse : le scanner semble configuré en clavier us", "us")
    assert second.text == "4006381333932" and second.layout_hint is None
    assert scans.empty()
    reader.stop()


def test_injected_validator_decides_what_is_acceptable():
    source = PipeSource()
    reader, scans, rejects, _ = start_reader(
        source, ScannerSettings(layout="us"), is_acceptable=lambda code: code.startswith("ABC"))
    write_keys(source, keystrokes("ABC-1", "us"))
    write_keys(source, keystrokes(EAN, "us"))
    assert scans.get(timeout=5).code == "ABC-1"
    assert rejects.get(timeout=5).text == EAN
    reader.stop()


def test_burst_of_twenty_scans_fifty_ms_apart_loses_nothing():
    source = PipeSource()
    reader, scans, _, _ = start_reader(source, ScannerSettings(layout="fr"))
    codes = [f"{200000000000 + index:012d}" for index in range(20)]
    codes = [code + check_digit(code) for code in codes]
    for code in codes:
        write_keys(source, keystrokes(code, "fr"))
        time.sleep(0.05)
    assert [scans.get(timeout=5).code for _ in codes] == codes
    reader.stop()


def test_back_to_back_scans_in_one_write_more_than_64_events():
    source = PipeSource()
    reader, scans, _, _ = start_reader(source, ScannerSettings(layout="us"))
    write_keys(source, keystrokes(EAN, "us") * 5)  # 5 x 28 key events x 3 kernel events
    assert [scans.get(timeout=5).code for _ in range(5)] == [EAN] * 5
    reader.stop()


def test_a_slow_callback_does_not_lose_scans():
    source = PipeSource()
    delivered = []
    release = threading.Event()

    def slow(scan):
        release.wait(1)
        delivered.append(scan.code)

    reader = InputReader(source, ScanConsumer(source.path, ScannerSettings("us"), slow))
    reader.start()
    for _ in range(3):
        write_keys(source, keystrokes(EAN, "us"))
    time.sleep(0.2)
    release.set()
    deadline = time.monotonic() + 10
    while len(delivered) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert delivered == [EAN] * 3
    reader.stop()


def test_unplug_is_reported_once_and_the_thread_ends():
    source = PipeSource()
    reader, scans, _, lost = start_reader(source, ScannerSettings(layout="us"))
    write_keys(source, keystrokes(EAN, "us"))
    assert scans.get(timeout=5).code == EAN
    source.unplug()
    error = lost.get(timeout=5)
    assert isinstance(error, ScannerLost) and isinstance(error, DeviceError)
    assert "débranché" in str(error)
    reader.stop()
    assert not reader.alive and source.closed


def test_matchers_and_default_vendor_selection():
    infos = [
        DeviceInfo("/dev/input/event3", "Honeywell Scanner", 0x0C2E, 0x0B61,
                   ("/dev/input/by-id/usb-Honeywell-event-kbd",)),
        DeviceInfo("/dev/input/event4", "Generic USB Keyboard", 0x1A2C, 0x2124),
        DeviceInfo("/dev/input/event5", "ft5406 touchscreen", 0, 0),
    ]
    assert list(select_devices(infos, [])) == ["/dev/input/event3"]
    by_link = parse_matcher("/dev/input/by-id/usb-Honeywell-event-kbd")
    assert list(select_devices(infos, [by_link])) == ["/dev/input/event3"]
    assert list(select_devices(infos, [parse_matcher("usb:1a2c:2124")])) == ["/dev/input/event4"]
    assert list(select_devices(infos, [parse_matcher("1A2C:2124")])) == ["/dev/input/event4"]
    assert list(select_devices(infos, [parse_matcher("name:generic usb")])) == [
        "/dev/input/event4"]
    with pytest.raises(DeviceError):
        parse_matcher("name:")


def test_plan_changes_is_a_set_difference():
    assert plan_changes({"a", "b"}, {"b", "c"}) == ({"a"}, {"c"})


class PlugBoard:
    """Devices that come and go, each backed by a pipe read through evdev's reader."""

    def __init__(self) -> None:
        self.plugged: dict[str, PipeSource] = {}
        self.opened: list[str] = []

    def plug(self, path: str) -> PipeSource:
        source = PipeSource(path)
        self.plugged[path] = source
        return source

    def unplug(self, path: str) -> None:
        self.plugged.pop(path).unplug()

    def list_devices(self) -> list[DeviceInfo]:
        return [DeviceInfo(path, "Datalogic scanner", 0x05F9, 0x2214)
                for path in self.plugged]

    def open_device(self, info: DeviceInfo) -> PipeSource:
        self.opened.append(info.path)
        return self.plugged[info.path]


def test_hub_survives_unplug_and_replug_without_restart():
    board = PlugBoard()
    scans: queue.Queue = queue.Queue()
    messages: list[str] = []
    hub = InputHub(
        [], lambda info: ScanConsumer(info.path, ScannerSettings("us"), scans.put),
        list_devices=board.list_devices, open_device=board.open_device,
        on_event=messages.append, interval_s=0.05,
    )
    first = board.plug("/dev/input/event7")
    second = board.plug("/dev/input/event8")
    hub.start()
    try:
        wait_until(lambda: len(hub.devices) == 2)
        write_keys(first, keystrokes(EAN, "us"))
        write_keys(second, keystrokes(EAN8, "us"))
        assert {scans.get(timeout=5).device for _ in range(2)} == {
            "/dev/input/event7", "/dev/input/event8"}
        board.unplug("/dev/input/event7")
        wait_until(lambda: hub.devices == ["/dev/input/event8"])
        replugged = board.plug("/dev/input/event7")
        wait_until(lambda: len(hub.devices) == 2)
        write_keys(replugged, keystrokes(EAN, "us"))
        assert scans.get(timeout=5) == Scan(EAN, "/dev/input/event7", "us")
        assert board.opened.count("/dev/input/event7") == 2
        assert any("débranché" in message for message in messages)
    finally:
        hub.stop()


def test_hub_reports_a_device_it_cannot_grab_and_retries_later():
    board = PlugBoard()
    board.plug("/dev/input/event9")
    attempts = []

    def busy_then_ok(info):
        attempts.append(info.path)
        if len(attempts) <= 2:
            raise DeviceError("déjà pris par un autre programme")
        return board.open_device(info)

    messages: list[str] = []
    hub = InputHub([], lambda info: ScanConsumer(info.path, ScannerSettings(), print),
                   list_devices=board.list_devices, open_device=busy_then_ok,
                   on_event=messages.append)
    assert hub.rescan() == (set(), set())
    assert hub.rescan() == (set(), set())
    assert len(messages) == 1 and "déjà pris" in messages[0]  # reported once, not each pass
    started, _ = hub.rescan()
    assert started == {"/dev/input/event9"}
    hub.stop()


def test_learning_tells_which_device_and_layout_typed_the_test_code():
    keyboard, scanner = PipeSource("/dev/input/event1"), PipeSource("/dev/input/event2")
    write_keys(keyboard, keystrokes("hello", "us"))
    write_keys(scanner, keystrokes(EAN, "fr"))
    learnt = learn_scanner([keyboard, scanner], EAN, timeout_s=2)
    assert learnt is not None and (learnt.path, learnt.layout) == ("/dev/input/event2", "fr")
    assert learn_scanner([keyboard], EAN, timeout_s=0.2) is None


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/dev/uinput").exists() or not os.access("/dev/uinput", os.W_OK),
                    reason="no writable /dev/uinput here (containers and CI rarely have one)")
def test_real_virtual_keyboard_through_uinput():  # pragma: no cover - only where uinput exists
    with evdev.UInput(name="appliance-test-scanner") as fake:
        time.sleep(0.3)
        device = open_grabbed(DeviceInfo(fake.device.path, fake.name))
        scans: queue.Queue = queue.Queue()
        reader = InputReader(device, ScanConsumer("uinput", ScannerSettings("us"), scans.put))
        reader.start()
        for event_type, code, value in keystrokes(EAN, "us"):
            fake.write(event_type, code, value)
            fake.syn()
        assert scans.get(timeout=5).code == EAN
        reader.stop()
