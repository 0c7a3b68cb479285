from tests.access.conftest import World


def test_refer_approve_download(world: World) -> None:
    assert world.download().status_code == 403
    request = world.submit()
    assert request["state"] == "referred", request
    decided = world.decide(request["id"])
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "approved"
    response = world.download()
    assert response.status_code == 200, response.text
