"""The `appliance` command's dispatch: every subcommand listed, only the chosen one imported."""

import subprocess
import sys

import pytest

from appliance.cli import COMMAND_MODULES, command_modules_for, main


def test_overview_lists_every_subcommand_of_the_design(capsys):
    assert main([]) == 2
    overview = capsys.readouterr().err
    for name in ("demo", "run", "sandbox", "setup", "doctor", "sync", "journal", "printer",
                 "drawer", "scanner", "sale", "session", "backup"):
        assert name in overview


def test_a_named_subcommand_imports_only_its_own_module():
    assert command_modules_for(["--version"]) == COMMAND_MODULES
    assert command_modules_for(["sync", "--once"]) == ("appliance.commands.sync",)
    probe = (
        "import sys\n"
        "from appliance.cli import main\n"
        "try:\n"
        "    main(['printer', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('appliance.commands.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().splitlines()[-1] == "['appliance.commands.printer']"


def test_an_unknown_subcommand_is_refused_with_the_list(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["vendre"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
