"""Reading data files for the command line: formats, headers, bad rows, clear errors."""

import numpy as np
import pytest

from thetahat.cli._io import DataError, drop_nonfinite, read_table


def test_csv_with_header_by_name_and_index(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("# comment\nx,y,yerr\n1,2.5,0.1\n2,3.5,0.2\n")
    t = read_table(p)
    assert t.names == ("x", "y", "yerr")
    np.testing.assert_array_equal(t.column("y"), [2.5, 3.5])  # exact: parsed decimals
    np.testing.assert_array_equal(t.column("2"), [0.1, 0.2])  # exact: parsed decimals


def test_whitespace_without_header(tmp_path):
    p = tmp_path / "d.txt"
    p.write_text("1 2\n3 4\n5 nan\n")
    t = read_table(p)
    assert t.names == ("0", "1")
    cols, dropped = drop_nonfinite({"a": t.column("0"), "b": t.column("1")})
    assert dropped == 1
    np.testing.assert_array_equal(cols["a"], [1, 3])  # exact: integers


def test_npy_one_and_two_dimensional(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(4.0))
    np.save(tmp_path / "b.npy", np.arange(6.0).reshape(3, 2))
    assert read_table(tmp_path / "a.npy").column("0").tolist() == [0, 1, 2, 3]
    assert read_table(tmp_path / "b.npy").column("1").tolist() == [1, 3, 5]


@pytest.mark.parametrize(
    "content, match",
    [
        ("x,y\n1,2\n3,abc\n", r"line 3: column 'y' has non-numeric value 'abc'"),
        ("x,y\n1,2\n3\n", r"line 3: 1 field\(s\) where the file has 2 columns"),
        ("# only a comment\n", "contains no data"),
        ("x,y\n", "header but no data"),
    ],
)
def test_bad_text_files_say_where(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(DataError, match=match):
        read_table(p)


def test_missing_file_and_unknown_column(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    p = tmp_path / "d.csv"
    p.write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match="no column 'z'.*columns are: x, y"):
        read_table(p).column("z")
    with pytest.raises(DataError, match="column index 5 is out of range"):
        read_table(p).column("5")


def test_strict_mode_names_the_row():
    with pytest.raises(DataError, match=r"column 'y', row 1: value nan"):
        drop_nonfinite({"y": np.array([1.0, np.nan])}, strict=True)
