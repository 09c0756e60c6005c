"""The one "send bytes" seam, over python-escpos' connection classes.

Every printer connection is a `Transport`: `send(data)` writes a whole job, `query(request)`
writes a status request and returns the reply (empty when the printer says nothing within the
timeout), `close()`. Rendering never knows which one it talks to. Foreign errors (socket,
pyserial, pyusb, python-escpos) are translated here, once, into `PrinterUnavailable` with a
sentence for the technician; the original stays chained as `__cause__`.

Reconnection: TCP opens a connection per job, so a printer switched off and on between two
receipts is simply reached again (and a dead socket cannot swallow a receipt in a kernel
buffer). Serial, USB and file keep their handle, and drop it after any failure so the next job
opens afresh. Nothing is ever re-sent: the caller decides about a DUPLICATA.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import termios
import time
from collections.abc import Iterator
from typing import Any, Protocol

from appliance.devices.connection import (
    FileConnection,
    PrinterAddress,
    SerialConnection,
    TcpConnection,
    UsbConnection,
)
from appliance.devices.errors import PrinterUnavailable
from appliance.devices.status import SimulatedState

DEFAULT_TIMEOUT_S = 5.0
STATUS_TIMEOUT_S = 0.5

USB_BUSY = (
    "imprimante USB occupée (Resource busy) : le pilote noyau usblp ou CUPS/ipp-usb la tient."
    " Utilisez file:/dev/usb/lp0, ou arrêtez CUPS / ipp-usb et débranchez-rebranchez"
    " l'imprimante. [USB printer busy: the usblp kernel driver or CUPS/ipp-usb holds it;"
    " print through file:/dev/usb/lp0 or stop CUPS/ipp-usb]"
)
USB_DENIED = (
    "accès refusé à l'imprimante USB (Access denied) : l'utilisateur doit être dans le groupe"
    " lp et la règle udev 70-till.rules installée. [permission denied: add the user to 'lp']"
)


class Transport(Protocol):
    description: str

    def send(self, data: bytes) -> None: ...

    def query(self, request: bytes) -> bytes: ...

    def close(self) -> None: ...


class MemoryTransport:
    """The in-memory twin: records every job and answers status from a `SimulatedState`."""

    def __init__(self, description: str = "mémoire") -> None:
        self.description = description
        self.jobs: list[bytes] = []
        self.state = SimulatedState()
        self.fail_with: PrinterUnavailable | None = None

    def send(self, data: bytes) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.jobs.append(bytes(data))

    def query(self, request: bytes) -> bytes:
        return self.state.reply(request[-1])

    def close(self) -> None:
        """Nothing to release."""

    @property
    def sent(self) -> bytes:
        return b"".join(self.jobs)


class _EscposTransport:
    """Common life cycle around one python-escpos printer object."""

    description: str
    per_job = False

    def __init__(self) -> None:
        self._printer: Any = None

    def _make(self) -> Any:
        raise NotImplementedError

    def _opened(self) -> Any:
        if self._printer is None:
            printer = self._make()
            printer.open()  # raises DeviceNotFoundError, never returns half-open
            self._after_open(printer)
            self._printer = printer
        return self._printer

    def _after_open(self, printer: Any) -> None:
        """Hook: settings python-escpos does not expose (write timeout, endpoints)."""

    def send(self, data: bytes) -> None:
        with self._translated("impression"):
            try:
                self._opened()._raw(data)
            finally:
                if self.per_job:
                    self.close()

    def query(self, request: bytes) -> bytes:
        with self._translated("lecture de l'état"):
            try:
                printer = self._opened()
                printer._raw(request)
                return self._read_reply(printer)
            finally:
                if self.per_job:
                    self.close()

    def _read_reply(self, printer: Any) -> bytes:
        try:
            return bytes(printer._read())
        except TimeoutError:
            return b""

    def close(self) -> None:
        """Release the handle even when the device is gone (close then fails to flush)."""
        printer, self._printer = self._printer, None
        if printer is None:
            return
        try:
            printer.close()
        except (OSError, AttributeError, termios.error):
            handle = getattr(printer, "_device", None)
            with contextlib.suppress(OSError, AttributeError, termios.error):
                if handle is not None:
                    handle.close()
        finally:
            printer._device = False  # python-escpos' __del__ would close it again

    @contextlib.contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        from escpos.exceptions import Error as EscposError  # noqa: PLC0415

        try:
            yield
        except (EscposError, OSError, AssertionError) as error:
            self.close()
            raise PrinterUnavailable(self._explain(action, error)) from error

    def _explain(self, action: str, error: BaseException) -> str:
        return f"{action} impossible sur {self.description} : {_first_line(error)}"


class TcpTransport(_EscposTransport):
    per_job = True

    def __init__(self, connection: TcpConnection, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__()
        self.connection = connection
        self.timeout_s = timeout_s
        self.description = f"l'imprimante réseau {connection.host}:{connection.port}"

    def _make(self) -> Any:
        from escpos.printer import Network  # noqa: PLC0415

        return Network(self.connection.host, self.connection.port, timeout=self.timeout_s)

    def _read_reply(self, printer: Any) -> bytes:
        printer.device.settimeout(STATUS_TIMEOUT_S)  # a printer that answers does so at once
        return super()._read_reply(printer)


class SerialTransport(_EscposTransport):
    def __init__(
        self, connection: SerialConnection, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        super().__init__()
        self.connection = connection
        self.timeout_s = timeout_s
        self.description = f"l'imprimante série {connection.device} ({connection.baudrate} bauds)"

    def _make(self) -> Any:
        from escpos.printer import Serial  # noqa: PLC0415

        # No DSR/DTR handshake by default: most USB-serial bridges leave DSR floating.
        return Serial(
            devfile=self.connection.device, baudrate=self.connection.baudrate,
            timeout=STATUS_TIMEOUT_S, dsrdtr=False,
        )

    def _after_open(self, printer: Any) -> None:
        printer.device.write_timeout = self.timeout_s

    def _read_reply(self, printer: Any) -> bytes:
        # One byte answers DLE EOT; python-escpos' read(16) would always wait the full timeout.
        return bytes(printer.device.read(1))


class FileTransport:
    """A kernel printer node (/dev/usb/lp0): opened per job, written with a deadline.

    python-escpos' File blocks forever when usblp holds data for a printer that is off; this
    writes non-blocking and gives up after `timeout_s`, like the other transports.
    """

    def __init__(self, connection: FileConnection, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.connection = connection
        self.timeout_s = timeout_s
        self.description = f"l'imprimante {connection.path}"

    def send(self, data: bytes) -> None:
        try:
            fd = os.open(self.connection.path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            raise PrinterUnavailable(
                f"impression impossible sur {self.description} : {error.strerror}"
            ) from error
        try:
            self._write_all(fd, memoryview(data))
        finally:
            os.close(fd)

    def _write_all(self, fd: int, data: memoryview) -> None:
        deadline = time.monotonic() + self.timeout_s
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PrinterUnavailable(
                    f"{self.description} n'accepte plus de données depuis {self.timeout_s:g} s"
                    " (éteinte, capot ouvert ou papier absent ?)"
                )
            _, writable, _ = select.select([], [fd], [], remaining)
            if not writable:
                continue
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                continue
            except OSError as error:
                raise PrinterUnavailable(
                    f"impression interrompue sur {self.description} : {error.strerror}"
                ) from error

    def query(self, request: bytes) -> bytes:
        """A printer node opened write-only cannot answer: no status."""
        return b""

    def close(self) -> None:
        """Nothing stays open between jobs."""


class UsbTransport(_EscposTransport):
    def __init__(
        self,
        connection: UsbConnection,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        backend: Any = None,
    ) -> None:
        super().__init__()
        self.connection = connection
        self.timeout_s = timeout_s
        self.backend = backend  # a pyusb backend object: tests, or a non-default libusb
        self.description = f"l'imprimante USB {connection}"

    def _make(self) -> Any:
        from escpos.printer import Usb  # noqa: PLC0415

        usb_args = {"backend": self.backend} if self.backend is not None else {}
        return Usb(
            self.connection.vendor_id, self.connection.product_id, usb_args=usb_args,
            timeout=int(self.timeout_s * 1000),
        )

    def _after_open(self, printer: Any) -> None:
        """Take the bulk endpoints from the descriptors (they vary by model and gadget)."""
        import usb.util  # noqa: PLC0415

        interface = printer.device.get_active_configuration()[(0, 0)]
        for endpoint in interface:
            if usb.util.endpoint_type(endpoint.bmAttributes) != usb.util.ENDPOINT_TYPE_BULK:
                continue
            if usb.util.endpoint_direction(endpoint.bEndpointAddress) == usb.util.ENDPOINT_IN:
                printer.in_ep = endpoint.bEndpointAddress
            else:
                printer.out_ep = endpoint.bEndpointAddress

    def _read_reply(self, printer: Any) -> bytes:
        import usb.core  # noqa: PLC0415

        try:
            return bytes(printer.device.read(printer.in_ep, 16, int(STATUS_TIMEOUT_S * 1000)))
        except usb.core.USBTimeoutError:
            return b""

    def _explain(self, action: str, error: BaseException) -> str:
        codes = {getattr(error, "errno", None), getattr(error.__context__, "errno", None)}
        if errno.EBUSY in codes:
            return USB_BUSY
        if errno.EACCES in codes:
            return USB_DENIED
        if isinstance(error.__context__, AssertionError):  # usb.core.find() found nothing
            return (
                f"imprimante USB {self.connection} introuvable : câble, alimentation, identifiant"
                " (lsusb) ? [USB printer not found]"
            )
        return super()._explain(action, error)


def transport_for(
    connection: PrinterAddress, timeout_s: float = DEFAULT_TIMEOUT_S, usb_backend: Any = None
) -> Transport:
    """The transport of a printer address (not `NoConnection`: that is the NullPrinter)."""
    if isinstance(connection, TcpConnection):
        return TcpTransport(connection, timeout_s)
    if isinstance(connection, SerialConnection):
        return SerialTransport(connection, timeout_s)
    if isinstance(connection, UsbConnection):
        return UsbTransport(connection, timeout_s, usb_backend)
    if isinstance(connection, FileConnection):
        return FileTransport(connection, timeout_s)
    raise PrinterUnavailable(f"aucune imprimante pour la connexion {connection}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())
