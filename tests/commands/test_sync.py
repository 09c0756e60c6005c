"""`appliance sync --once` through the real CLI entry point, against the sandbox."""


from appliance.cli import main
from appliance.kafinea.sync import worker_lock
from tests.till.helpers import new_till, shop_of, write_config


def test_sync_once_delivers_and_reports(tmp_path, sandbox, capsys):
    config = write_config(tmp_path, sandbox)
    till = new_till(config)
    till.open_session(1000)
    product = till.products_in("Boissons")[0]
    till.set_seller("Marie Dupont")
    till.add_product(product.id)
    till.pay("CARD", product.price_cents)
    sale = till.validate()
    till.close()
    with worker_lock(tmp_path / "data" / "sync.lock"):
        assert main(["sync", "--once", "--config", str(config)]) == 1
        assert "autre synchronisation" in capsys.readouterr().err
    assert main(["sync", "--once", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "2 document(s) transmis, 0 en attente" in out and "catalogue" in out
    shop = shop_of(sandbox)
    assert len(shop.all("Invoice", cf_ticket_ref=sale.receipt.reference_code)) == 1


def test_sync_once_fails_with_the_reasons(tmp_path, sandbox, capsys):
    config = write_config(tmp_path, sandbox)
    till = new_till(config)
    till.open_session(0)
    till.set_seller("Marie Dupont")
    product = till.products_in("Boissons")[0]
    till.add_product(product.id)
    till.set_customer("14x1")  # not an account: Kafinea refuses the invoice
    till.pay("CARD", product.price_cents)
    till.validate()
    till.close()
    assert main(["sync", "--once", "--no-pull", "--config", str(config)]) == 1
    captured = capsys.readouterr()
    assert "1 document(s) transmis, 0 en attente" in captured.out
    assert "REFERENCE_INVALID" in captured.err
