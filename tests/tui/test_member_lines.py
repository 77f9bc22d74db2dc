"""A pending chat's member lines: one line each, codes lined up and never pushed out of view."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.cells import cell_len

from plow_tui.client.models import Member
from plow_tui.tui.plow.chat_pane import member_line


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def waiting(name: str) -> tuple[Member, Member]:
    member = Member(uid="mem_1", status="pending_verification", display_name=name)
    code = Member(uid="mem_1", verification_code="VERIFY-3OZ63L")
    return member, code


def test_a_long_name_is_cut_to_the_column_and_the_code_follows_it() -> None:
    member, code = waiting("Sarah Longname-Wellington of the Very Long Family Name")
    line = member_line(member, code, 24, local=utc)
    name_cells = line.plain[2 : 2 + 24]
    assert name_cells.endswith("…") and "Sarah Longname" in name_cells
    assert line.plain[2 + 24 :].startswith("   VERIFY-3OZ63L ")


def test_names_are_padded_so_the_codes_line_up() -> None:
    lines = [member_line(*waiting(name), 8, local=utc) for name in ("Ada", "Patrick", "Zoë")]
    columns = {line.plain.index("VERIFY-") for line in lines}
    assert len(columns) == 1


def test_a_wide_name_is_measured_in_cells() -> None:
    member, code = waiting("山田太郎さんです")  # 8 characters, 16 cells
    line = member_line(member, code, 10, local=utc)
    before_code = line.plain[: line.plain.index(" VERIFY-")]
    assert cell_len(before_code) == 2 + 10 + 2  # mark, the name's column, the gap
