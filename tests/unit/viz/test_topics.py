"""wb.visualize: BERTopic's own views of the saved model, with theme labels instead of topic numbers."""

from __future__ import annotations

import pytest

from workbench.viz.topics import topic_labels


def test_topic_labels_prefer_the_curated_label():
    import pandas as pd

    state = {"topic_theme": ["a", "b", "a"], "labels": {"a": "auto a", "b": "auto b"}}
    themes = pd.DataFrame({"theme_id": ["a"], "label": ["Saves time"]})
    assert topic_labels(state, themes) == {0: "Saves time", 1: "auto b", 2: "Saves time"}
    assert topic_labels(state, None) == {0: "auto a", 1: "auto b", 2: "auto a"}


@pytest.mark.slow
def test_every_view_is_labelled_with_theme_labels(themed_settings):
    import workbench as wb

    labels = set(wb.load_output("themes", themed_settings)["label"])
    over_time = wb.visualize("Over-Time", themed_settings)
    assert {trace.name for trace in over_time.data} <= labels and len(over_time.data) >= 3
    documents = wb.visualize("documents", themed_settings, sample=500)
    shown = {trace.name for trace in documents.data} - {"other", ""}
    assert shown and shown <= labels
    topics = wb.visualize("topics", themed_settings)
    words = {str(row[1]) for trace in topics.data if trace.customdata is not None for row in trace.customdata}
    assert words and words <= labels
    with pytest.raises(wb.WorkbenchError, match="Valid: documents, over_time, topics"):
        wb.visualize("map", themed_settings)
