"""The admin pages of models that moved to another app answer a permanent redirect to their new
address, so bookmarks keep working; the models that stayed are untouched."""

import pytest

from tests.factories import StaffUserFactory


@pytest.fixture
def staff(client, db):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/measures/ingestrun/", "/admin/progress/ingestrun/"),
        ("/admin/measures/progresssnapshot/", "/admin/progress/progresssnapshot/"),
        ("/admin/measures/importrun/add/", "/admin/importer/importrun/add/"),
        ("/admin/measures/workerping/", "/admin/jobs/workerping/"),
        ("/admin/comparisons/measurelink/", "/admin/measures/measurelink/"),
        ("/admin/comparisons/sectionlink/3/change/", "/admin/measures/sectionlink/3/change/"),
        (
            "/admin/comparisons/targetlink/?status=curated",
            "/admin/measures/targetlink/?status=curated",
        ),
    ],
)
def test_an_old_admin_address_redirects_to_the_new_one(staff, old, new):
    response = staff.get(old)
    assert response.status_code == 301
    assert response["Location"] == new
    if "change" not in new:
        assert staff.get(new).status_code == 200


def test_a_model_that_stayed_keeps_its_address(staff):
    assert staff.get("/admin/measures/measure/").status_code == 200
    assert staff.get("/admin/measures/document/").status_code == 200
    # A name that only exists elsewhere is not redirected from an app it never was in.
    assert staff.get("/admin/comparisons/ingestrun/").status_code == 404


def test_what_follows_is_encoded_again(staff):
    response = staff.get("/admin/measures/ingestrun/a%0Ab%20c/")
    assert response.status_code == 301
    assert response["Location"] == "/admin/progress/ingestrun/a%0Ab%20c/"
