def test_catalog_lists_fixture_course(client):
    page = client.get("/courses/").get_data(as_text=True)
    assert "공장 데이터 기초" in page
