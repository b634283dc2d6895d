"""Who may act on a run: its submitter (by their token's digest) and the host."""

from gan import owners


def test_runs_record_a_digest_that_matches_only_its_token():
    alice = owners.new_token()
    assert alice != owners.new_token() and len(alice) >= 16
    mine = owners.digest(alice)
    assert alice not in mine and owners.digest(alice) == mine
    assert owners.may_act(mine, alice, host=False, demo=True)
    assert not owners.may_act(mine, owners.new_token(), host=False, demo=False)
    assert not owners.may_act(mine, None, host=False, demo=False)
    assert owners.may_act(mine, None, host=True, demo=True)


def test_command_line_runs_are_anyones_on_a_laptop_and_the_hosts_on_a_demo():
    assert owners.may_act(None, owners.new_token(), host=False, demo=False)
    assert not owners.may_act(None, owners.new_token(), host=False, demo=True)
    assert owners.may_act(None, None, host=True, demo=True)


def test_the_host_key_must_be_set_and_match():
    assert owners.is_host_key("k3y", "k3y")
    assert not owners.is_host_key("k3y", "other") and not owners.is_host_key("", "") and not owners.is_host_key(
        "k3y", None)


def test_a_display_name_is_one_line_of_printable_text_of_bounded_length():
    assert owners.display_name("  Ada   Lovelace ") == "Ada Lovelace"
    assert owners.display_name("第 3 组\t小明") == "第 3 组 小明"
    assert owners.display_name("Eve\u202e\u0000\nmallory") == "Eve mallory"  # no direction override, no NUL
    assert owners.display_name("x" * 500) == "x" * owners.NAME_CHARS
    assert owners.display_name(" \n\u200b ") is None and owners.display_name(None) is None
