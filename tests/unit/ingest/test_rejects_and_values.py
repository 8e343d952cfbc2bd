"""Values real exports get wrong are read right or rejected with a reason the console shows."""

from __future__ import annotations

import io

import pandas as pd
from pull_fixtures import REVIEWS_HEADER, make_project, reviews_source, write

from workbench.ingest.normalize import top_reasons
from workbench.ingest.pull import pull

ROWS = "1,01-07-2026 10:00,fine,4\n"


def _rejects(result) -> pd.DataFrame:
    return pd.read_parquet(result.rejects_paths["feedback"])


def test_scientific_notation_ids_get_their_own_reason_and_an_excel_hint(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    body = "".join(f"5.70306E+17,0{d}-07-2026 10:00,ticket {d},3\n" for d in range(1, 5))
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + body + "42,05-07-2026 10:00,ok,3\n")
    result = pull(settings, quarter="2026Q3")
    assert result.counts["feedback"]["processed"] == 1
    reasons = set(_rejects(result)["_reason"])
    assert len(reasons) == 1 and "scientific notation" in reasons.pop()
    summary = result.summary()
    assert "4 feedback rows rejected" in summary
    assert "Excel" in summary and "(e.g. '5.70306E+17')" in summary
    assert "duplicate" not in summary


def test_console_shows_top_three_reasons_with_counts_and_an_example(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    body = (
        "1,01-07-2026 10:00,a,4\n1,02-07-2026 10:00,b,4\n1,03-07-2026 10:00,c,4\n"
        "2,01-07-2026 10:00,d,four\n3,01-07-2026 10:00,e,0\n4,01-07-2026 10:00,f,0\n"
        "5,31-02-2026 10:00,g,3\n"
    )
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + body)
    result = pull(settings, quarter="2026Q3")
    reasons = result.tables["feedback"].reasons
    assert [(count, example) for _, count, example in reasons] == [
        (2, "'1'"),
        (2, "0.0"),
        (1, "'31-02-2026 10:00'"),
    ] or ([count for _, count, _ in reasons] == [2, 2, 1])
    lines = result.summary().splitlines()
    shown = [line for line in lines if "(e.g." in line]
    assert len(shown) == 3  # four kinds of reason, the top three shown


def test_top_reasons_groups_by_kind():
    reasons = [
        "duplicate id '7' (first kept: source s row 1)",
        "duplicate id '8' (first kept: source s row 2)",
        "x: not a number 'a'; duplicate id '9'",
    ]
    assert top_reasons(reasons) == [("duplicate id ...", 3, "'7'"), ("x: not a number ...", 1, "'a'")]


def test_reject_examples_stay_on_one_line_without_terminal_escapes():
    reasons = ["x: not a number 'a\nb\x1b[31m'"]
    ((kind, count, example),) = top_reasons(reasons)
    assert count == 1 and "\n" not in example and "\x1b" not in example


def test_rating_zero_is_rejected_and_null_words_are_missing(tmp_path):
    source = reviews_source(
        columns={
            "id": "feedback_id",
            "when": "created_at",
            "body": "text",
            "stars": "rating",
            "acct": "account_id",
        }
    )
    settings = make_project(tmp_path, {"feedback": [source]})
    write(
        tmp_path,
        "reviews.csv",
        "id,when,body,stars,acct\n1,01-07-2026 10:00,zero,0,A1\n2,01-07-2026 10:00,ok,1,NULL\n"
        "3,01-07-2026 10:00,ok,5,N/A\n4,01-07-2026 10:00,ok,5,none\n",
    )
    result = pull(settings, quarter="2026Q3")
    assert _rejects(result)["_reason"].tolist() == ["rating: 0.0 is outside 1..5"]
    processed = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert processed["account_id"].isna().all()


def test_latin1_label_on_a_cp1252_file_reads_the_quotes_and_euro(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source(encoding="latin-1")]})
    text = "\u201cgreat\u201d \u2013 worth 5\u20ac"
    write(tmp_path, "reviews.csv", (REVIEWS_HEADER + f"1,01-07-2026 10:00,{text},4\n").encode("cp1252"))
    pull(settings, quarter="2026Q3")
    assert pd.read_parquet(settings.paths.processed / "feedback.parquet")["text"].tolist() == [text]


def test_header_only_file_warns_and_keeps_the_last_table(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + ROWS)
    pull(settings, quarter="2026Q3")
    write(tmp_path, "reviews.csv", REVIEWS_HEADER)
    result = pull(settings, quarter="2026Q3")
    assert result.tables["feedback"].kept_previous
    assert "WARNING feedback: the sources gave 0 rows" in result.summary()
    assert len(pd.read_parquet(settings.paths.processed / "feedback.parquet")) == 1


def test_a_quarter_pull_keeps_the_rejects_of_other_quarters(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(
        tmp_path,
        "reviews.csv",
        REVIEWS_HEADER + "1,01-04-2026 10:00,q2,9\n2,01-07-2026 10:00,q3,9\n3,02-07-2026 10:00,ok,4\n",
    )
    pull(settings, quarter="2026Q2")
    result = pull(settings, quarter="2026Q3")
    rejects = _rejects(result)
    assert sorted(rejects["_pulled"]) == ["2026Q2", "2026Q3"]
    assert sorted(rejects["body"]) == ["q2", "q3"]
    result = pull(settings, quarter="2026Q3")  # pulling Q3 again replaces Q3's rejects only
    assert sorted(_rejects(result)["body"]) == ["q2", "q3"]


def test_a_row_every_quarter_rejects_is_kept_once(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(tmp_path, "reviews.csv", REVIEWS_HEADER + "1,,no date,3\n2,01-07-2026 10:00,ok,4\n")
    pull(settings, quarter="2026Q2")
    result = pull(settings, quarter="2026Q3")
    rejects = _rejects(result)
    assert rejects["body"].tolist() == ["no date"] and rejects["_pulled"].tolist() == ["2026Q3"]


def test_xlsx_float_ids_are_not_collapsed(tmp_path):
    frame = pd.DataFrame(
        {
            "id": [570306123456788992.0, 570306123456788993.0, 12.0],
            "when": ["01-07-2026 10:00"] * 3,
            "body": ["a", "b", "c"],
            "stars": [4, 4, 4],
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    settings = make_project(tmp_path, {"feedback": [reviews_source(path="data/in/r.xlsx")]})
    write(tmp_path, "r.xlsx", buffer.getvalue())
    result = pull(settings, quarter="2026Q3")
    assert pd.read_parquet(settings.paths.processed / "feedback.parquet")["feedback_id"].tolist() == ["12"]
    assert all("scientific notation" in r for r in _rejects(result)["_reason"])
