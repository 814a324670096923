from lexsync.resources.values import clock, number, scalar_text, wire_clock


def test_clock_round_trips_and_converts_utc_to_pacific() -> None:
    assert clock(wire_clock("08:30")) == "08:30"
    assert clock(wire_clock("24:00")) == "24:00"
    # 16:00 UTC on a winter day is 08:00 in Pacific Standard Time.
    assert clock("2020-01-15T16:00:00Z") == "08:00"


def test_number_and_scalar_text_normalise_spelling() -> None:
    assert number("25.00") == 25 and isinstance(number("25.00"), int)
    assert number(19.75) == 19.75
    assert scalar_text(65.0) == "65" and scalar_text(" 65 ") == "65" and scalar_text("CA") == "CA"
    assert scalar_text(True) == "true"
