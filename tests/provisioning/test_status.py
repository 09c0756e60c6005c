"""What the kiosk learns from `setup-status.json` (written by `appliance setup`): a failure to
explain until it is dismissed; a success, a missing or unreadable file: nothing to say."""

import json

from appliance.provisioning.status import SETUP_STATUS_NAME, provisioning_failure


def write_status(data_dir, status):
    (data_dir / SETUP_STATUS_NAME).write_text(json.dumps(status), encoding="utf-8")


def test_a_failure_is_reported_with_every_problem_until_dismissed(tmp_path):
    write_status(
        tmp_path,
        {"ok": False, "message": "first", "problems": ["first", "second"], "at": "T1"},
    )
    failure = provisioning_failure(tmp_path)
    assert (failure.message, failure.problems, failure.at) == ("first", ("first", "second"), "T1")
    failure.dismiss()
    assert provisioning_failure(tmp_path) is None
    write_status(tmp_path, {"ok": False, "message": "again", "at": "T2"})
    again = provisioning_failure(tmp_path)
    assert again.problems == ("again",)  # no list: the message is the one problem


def test_success_absence_and_garbage_say_nothing(tmp_path):
    assert provisioning_failure(tmp_path) is None
    write_status(tmp_path, {"ok": True, "message": "configuration appliquée", "at": "T1"})
    assert provisioning_failure(tmp_path) is None
    (tmp_path / SETUP_STATUS_NAME).write_text("{not json", encoding="utf-8")
    assert provisioning_failure(tmp_path) is None
    write_status(tmp_path, ["ok", False])
    assert provisioning_failure(tmp_path) is None
