"""`LineIndex` (a conversation's heights and their prefix sums) against a plain list of heights."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plow_tui.tui.widgets.conversation_layout import LineIndex

heights = st.integers(min_value=1, max_value=9)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(min_value=0), heights),
        st.tuples(st.just("append"), heights),
        st.tuples(st.just("extend"), st.lists(heights, max_size=40)),
        st.tuples(st.just("front"), st.lists(heights, max_size=12)),
        st.tuples(st.just("delete"), st.integers(min_value=0)),
    ),
    max_size=40,
)


def check(index: LineIndex, naive: list[int]) -> None:
    assert len(index) == len(naive)
    assert index.total == sum(naive)
    assert [index.height(i) for i in range(len(naive))] == naive
    line = 0
    for i, height in enumerate(naive):
        assert index.start(i) == line
        for offset in range(height):
            assert index.find(line + offset) == (i, offset)
        line += height
    # Past the end: the position after the last entry, as `EntryLayout._find` expects.
    assert index.find(line)[0] == len(naive)


@settings(max_examples=300, deadline=None)
@given(size=st.integers(min_value=0, max_value=70), unit=st.integers(min_value=1, max_value=4), ops=operations)
def test_matches_a_list_of_heights(size: int, unit: int, ops: list[tuple]) -> None:
    index = LineIndex()
    index.reset(size, unit)
    naive = [unit] * size
    check(index, naive)
    for op in ops:
        if op[0] == "set" and naive:
            position = op[1] % len(naive)
            assert index.set_height(position, op[2]) == (naive[position] != op[2])
            naive[position] = op[2]
        elif op[0] == "append":
            index.append(op[1])
            naive.append(op[1])
        elif op[0] == "extend":
            index.extend(op[1])
            naive.extend(op[1])
        elif op[0] == "front":
            index.insert_front(op[1])
            naive[:0] = op[1]
        elif op[0] == "delete" and naive:
            position = op[1] % len(naive)
            index.delete(position)
            del naive[position]
        check(index, naive)


def test_many_measured_entries_rebuild_the_whole_tree() -> None:
    """Past a few measured entries the tree is rebuilt in one pass instead of a walk per entry: both agree."""
    index = LineIndex()
    index.reset(500, 2)
    naive = [2] * 500
    for i in range(0, 500, 3):
        index.set_height(i, 1 + i % 5)
        naive[i] = 1 + i % 5
    index.insert_front([3, 1])
    naive[:0] = [3, 1]
    check(index, naive)


def test_a_long_batch_appended_at_once() -> None:
    """`extend` past several powers of two, after measured entries: as `append` one at a time."""
    one, many = LineIndex(), LineIndex()
    for index in (one, many):
        index.reset(37, 2)
        for i in range(0, 37, 5):
            index.set_height(i, 1 + i % 4)
    heights = [1 + (i * 7) % 5 for i in range(300)]
    for height in heights:
        one.append(height)
    many.extend(heights)
    naive = [one.height(i) for i in range(len(one))]
    check(many, naive)
    assert many._tree == one._tree


def test_a_batch_of_estimated_heights_appended_at_once() -> None:
    """Every height the estimate (all deltas zero): only the nodes reaching back before the batch hold
    anything; as `append` one at a time, after measured entries and after none."""
    for size in (0, 1, 37, 64, 100):
        one, many = LineIndex(), LineIndex()
        for index in (one, many):
            index.reset(size, 2)
            for i in range(0, size, 3):
                index.set_height(i, 1 + i % 4)
        for _ in range(2):
            for _ in range(150):
                one.append(2)
            many.extend([2] * 150)
            assert many._tree == one._tree
            check(many, [one.height(i) for i in range(len(one))])
