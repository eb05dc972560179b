"""Avatar uploads: PNG/JPEG/WebP up to 2 MB, re-encoded to a 512 px square without metadata."""

import io

from PIL import Image

from agora.gpts import avatars


def jpeg_with_gps(size=(1200, 800)) -> bytes:
    image = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90°
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), comment=b"secret comment")
    return buffer.getvalue()


def test_upload_is_square_webp_without_metadata(make_builder, server):
    ada = make_builder()
    gpt_id = ada.create(name="Portrait")
    response = ada.post(f"/api/gpts/{gpt_id}/avatar", files={"file": ("me.jpg", jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 200, response.text
    avatar = response.json()["avatar"]
    assert ada.client.get(f"/api/gpts/{gpt_id}").json()["draft"]["avatar"] == avatar
    served = ada.client.get(avatar)
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert "immutable" in served.headers["cache-control"]
    picture = Image.open(io.BytesIO(served.content))
    assert picture.format == "WEBP" and picture.size == (512, 512)
    assert not picture.getexif() and b"SpyCam" not in served.content and b"secret comment" not in served.content


def test_bad_uploads_are_refused_and_change_nothing(make_builder):
    ada = make_builder()
    gpt_id = ada.create(name="Portrait", avatar="🦊")
    too_big = b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024 + 100 * 1024)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    for name, data, words in (
        ("big.png", too_big, ("2.1 MB", "2 MB")),
        ("notes.png", b"hello, I am text", ("PNG, JPEG or WebP",)),
        ("anim.gif", gif.getvalue(), ("PNG, JPEG or WebP",)),
    ):
        response = ada.post(f"/api/gpts/{gpt_id}/avatar", files={"file": (name, data, "image/png")})
        assert response.status_code == 422, name
        error = response.json()["error"]
        assert error["field"] == "avatar" and all(w in error["message"] for w in words), (name, error)
    # Far larger: refused before it is read, by the request's size (agora.web.body_limit).
    huge = ada.post(f"/api/gpts/{gpt_id}/avatar", files={"file": ("huge.png", b"0" * (20 * 1024 * 1024), "image/png")})
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "request_too_large"
    assert ada.client.get(f"/api/gpts/{gpt_id}").json()["draft"]["avatar"] == "🦊"


def test_only_stored_names_are_served(browser):
    assert browser.get("/uploads/avatars/" + "a" * 64 + ".webp").status_code == 404
    assert browser.get("/uploads/avatars/..%2F..%2Fsecret_key").status_code == 404


def test_reencoding_is_stable_so_exports_round_trip(tmp_path):
    first = avatars.normalize(jpeg_with_gps())
    assert avatars.normalize(first) == first


def _png(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pruning_deletes_only_old_pictures_no_draft_or_version_uses(make_builder, server, database):
    from agora.gpts.avatar_cleanup import prune

    ada = make_builder()
    gpt_id = ada.create(name="Chameleon")
    upload = lambda color: ada.post(f"/api/gpts/{gpt_id}/avatar", files={"file": ("a.png", _png(color), "image/png")}).json()["avatar"]  # noqa: E731
    published = upload((200, 0, 0))
    ada.publish(gpt_id)  # version 1 keeps the red one
    replaced = upload((0, 200, 0))  # then left behind by the blue one
    current = upload((0, 0, 200))
    home = server.app.state.settings.home
    folder = avatars.avatars_dir(home)
    (folder / ".unfinished.tmp").write_bytes(b"x")  # not a stored name: never touched

    with database.session() as session:
        assert prune(session, home, older_than_seconds=3600).removed == []  # all too young to go
        looked = prune(session, home, older_than_seconds=0, dry_run=True)  # earlier tests' pictures are unused too
        name = lambda url: url.removeprefix(avatars.URL_PREFIX)  # noqa: E731
        assert name(replaced) in looked.removed and {name(published), name(current)}.isdisjoint(looked.removed)
        assert (folder / name(replaced)).exists()
        result = prune(session, home, older_than_seconds=0)
    assert result.removed == looked.removed and result.bytes_freed > 0
    assert ada.client.get(replaced).status_code == 404
    assert ada.client.get(published).status_code == 200 and ada.client.get(current).status_code == 200
    assert (folder / ".unfinished.tmp").exists()
