"""Search terms come from Korean morphology, so particles and spacing do not get in the way."""

from lms.search.index import snippet
from lms.search.terms import analyse, query_terms


def test_particles_and_suffixes_are_split_off():
    assert analyse("불량률을 낮추는")[:1] == ["불량"]
    assert query_terms("예측 모델") == ["예측", "모델"]
    assert set(query_terms("예측 모델")) <= set(analyse("생산 라인의 예측모델은"))


def test_english_terms_are_lower_cased():
    assert query_terms("Random Forest") == ["random", "forest"]
    assert "mlops" in analyse("MLOps 첫걸음")


def test_snippet_marks_matches_in_context():
    text = "앞부분 " * 40 + "불량률을 낮추려면 불량 예측 모델이 필요합니다. " + "뒷부분 " * 40
    html = str(snippet(text, ["불량", "예측"]))
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>불량</mark>률을" in html and "<mark>예측</mark>" in html


def test_snippet_escapes_html():
    assert "&lt;script&gt;" in str(snippet("<script>불량</script>", ["불량"]))
