import errno
import os
import time

import pytest

from nnlab.data import uploads as uploads_module
from nnlab.core.errors import UserError
from nnlab.core.deployment import Deployment
from nnlab.data.uploads import ID_LENGTH, UploadStore

CSV = b"x,y,label\n0.1,0.2,a\n0.3,0.4,b\n"


def test_an_upload_is_kept_under_an_id_with_its_name_beside(tmp_path):
    store = UploadStore(tmp_path / "uploads", quota_bytes=10_000)
    upload = store.save(CSV, "my data.csv")
    assert len(upload.id) == ID_LENGTH and upload.name == "my data.csv" and upload.size == len(CSV)
    assert store.path(upload.id).read_bytes() == CSV and store.path(upload.id).parent == tmp_path / "uploads"
    assert store.get(upload.id) == upload and store.list() == [upload]
    assert store.save(CSV, "renamed.csv").id == upload.id  # the same bytes: the same id, stored once
    assert [u.name for u in store.list()] == ["renamed.csv"]
    other = store.save(CSV + b"0.5,0.6,a\n", "more.csv")
    assert other.id != upload.id and [u.id for u in store.list()] == [other.id, upload.id]  # newest first
    store.delete(upload.id)
    assert [u.id for u in store.list()] == [other.id]
    with pytest.raises(UserError, match="no longer here"):
        store.path(upload.id)
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [f"{other.id}.csv", f"{other.id}.json"]


@pytest.mark.parametrize("name, shown", [
    ("C:\\Users\\ana\\data.csv", "data.csv"),
    ("../../etc/passwd", "passwd"),
    ("bad\x00name\n.csv", "badname.csv"),
    ("\u202egnp.csv", "gnp.csv"),  # a right-to-left override that would disguise the name
    ("", "upload.csv"),
    ("a" * 300, "a" * 120),
])
def test_the_name_is_for_display_only(tmp_path, name, shown):
    store = UploadStore(tmp_path, quota_bytes=10_000)
    upload = store.save(CSV, name)
    assert upload.name == shown and store.path(upload.id).name == f"{upload.id}.csv"


@pytest.mark.parametrize("bad", [
    "../secret", "/etc/passwd", "0123456789abcdef/../../x", "0123456789abcde", "0123456789abcdef0",
    "0123456789ABCDEF", "0123456789abcde\x00", "0123456789abcdef\n", "０１２３４５６７８９ａｂｃｄｅｆ",
    "٠١٢٣٤٥٦٧٨٩abcdef", "", None, 12345, ["0123456789abcdef"],
])
def test_nothing_outside_the_folder_is_reachable_by_id(tmp_path, bad):
    store = UploadStore(tmp_path / "uploads", quota_bytes=10_000)
    store.save(CSV, "data.csv")
    (tmp_path / "secret").write_text("not yours")
    for action in (store.path, store.get, store.delete):
        with pytest.raises(UserError, match="not an upload id"):
            action(bad)
    assert (tmp_path / "secret").exists() and len(store.list()) == 1


def test_an_id_of_the_right_form_that_is_not_there(tmp_path):
    store = UploadStore(tmp_path, quota_bytes=10_000)
    with pytest.raises(UserError, match="upload the file again"):
        store.path("0123456789abcdef")
    store.delete("0123456789abcdef")  # nothing to delete: fine


def test_over_the_quota_says_how_much_is_used_and_what_to_do(tmp_path):
    store = UploadStore(tmp_path, quota_bytes=250_000)
    store.save(b"a\n" + b"1\n" * 100_000, "big.csv")  # 200 KB
    with pytest.raises(UserError) as error:
        store.save(b"b\n" + b"2\n" * 30_000, "second.csv")
    used = store.used_bytes()  # the file and its description
    assert 200_000 < used < 201_000 and f"take {used / 1000:.1f} KB of the 250.0 KB allowed" in str(error.value)
    assert "needs 60.0 KB more" in str(error.value)
    assert "Delete runs or uploads" in str(error.value) and "smaller file" in str(error.value)
    assert len(store.list()) == 1
    store.save(b"a\n" + b"1\n" * 100_000, "again.csv")  # already kept: needs no room


def test_the_quota_can_count_the_whole_workspace(tmp_path):
    (tmp_path / "20260101-120000-aaaaaa").mkdir()
    (tmp_path / "20260101-120000-aaaaaa" / "model.keras").write_bytes(b"\0" * 9_000)
    store = UploadStore(tmp_path / "uploads", quota_bytes=10_000, quota_root=tmp_path)
    with pytest.raises(UserError, match="This workspace's runs and uploads take 9.0 KB"):
        store.save(b"x" * 2_000, "data.csv")
    assert store.used_bytes() == 9_000 and store.save(b"x" * 500, "small.csv").size == 500


def test_a_full_disk_is_told_as_what_to_do_and_leaves_nothing(tmp_path, monkeypatch):
    def no_space(_):
        raise OSError(errno.ENOSPC, "No space left on device")

    store = UploadStore(tmp_path, quota_bytes=10_000)
    monkeypatch.setattr(uploads_module.os, "fsync", no_space)
    with pytest.raises(UserError, match=r"could not be kept \(No space left on device\). Delete runs or uploads"):
        store.save(CSV, "data.csv")
    assert list(tmp_path.iterdir()) == [] and store.list() == []


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(UserError, match="empty"):
        UploadStore(tmp_path, quota_bytes=10).save(b"", "empty.csv")


def test_expire_removes_what_was_not_uploaded_again_in_time(tmp_path):
    store = UploadStore(tmp_path, quota_bytes=10_000)
    old, fresh = store.save(CSV, "old.csv"), store.save(CSV + b"1,1,a\n", "fresh.csv")
    long_ago = time.time() - 7200
    for path in tmp_path.glob(f"{old.id}.*"):
        os.utime(path, (long_ago, long_ago))
    leftover = tmp_path / ".abc.csv.x.tmp"
    leftover.write_bytes(b"half")
    os.utime(leftover, (long_ago, long_ago))
    assert store.expire(3600) == [old.id]
    assert [u.id for u in store.list()] == [fresh.id] and not leftover.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{fresh.id}.csv", f"{fresh.id}.json"]


def test_a_lost_description_still_lists_the_file(tmp_path):
    store = UploadStore(tmp_path, quota_bytes=10_000)
    upload = store.save(CSV, "data.csv")
    (tmp_path / f"{upload.id}.json").write_bytes(b"\xff not json")
    (tmp_path / "notes.txt").write_text("not an upload")
    assert [(u.id, u.name) for u in store.list()] == [(upload.id, f"{upload.id}.csv")]
    assert UploadStore(tmp_path / "nowhere", quota_bytes=1).list() == []


def test_quota_from_the_environment(deployment):
    assert Deployment.from_environment({}).upload_quota_bytes == 100_000_000
    read = Deployment.from_environment({"NNLAB_UPLOAD_QUOTA_MB": "2.5", "NNLAB_SERVER_UPLOAD_QUOTA_MB": "7"})
    deployment(upload_quota_mb=read.upload_quota_mb, server_upload_quota_mb=read.server_upload_quota_mb)
    assert UploadStore("x").quota_bytes == 2_500_000  # the deployment's, unless given
    assert UploadStore("x", server_root="y").server_quota_bytes == 7_000_000
    for bad in ("lots", "0", "-1", "nan"):
        with pytest.raises(ValueError, match="NNLAB_UPLOAD_QUOTA_MB must be a positive number"):
            Deployment.from_environment({"NNLAB_UPLOAD_QUOTA_MB": bad})


def _workspace_uploads(server, name, quota=10_000, server_quota=None):
    from nnlab.data.uploads import FOLDER

    return UploadStore(server / "workspaces" / name / FOLDER, quota_bytes=quota, server_root=server,
                       server_quota_bytes=server_quota)


def test_the_server_bounds_every_workspaces_uploads_together(tmp_path):
    """Issue 20: the quota was per workspace only, and a new workspace had a fresh one."""
    from nnlab.data.uploads import server_used_bytes

    _workspace_uploads(tmp_path, "aaaaaa").save(CSV, "one.csv")
    _workspace_uploads(tmp_path, "bbbbbb").save(CSV + b"2,2,b\n", "two.csv")
    third = CSV + b"3,3,c\n"
    room = server_used_bytes(tmp_path) + len(third) - 1  # one byte short for a third visitor's file
    newcomer = _workspace_uploads(tmp_path, "cccccc", server_quota=room)  # a new workspace: its own quota is fresh
    with pytest.raises(UserError, match=r"^This server's uploads, everyone's together, take .* Use a smaller file"):
        newcomer.save(third, "three.csv")
    assert newcomer.list() == []
    _workspace_uploads(tmp_path, "aaaaaa", server_quota=room).save(CSV, "one again.csv")  # no new bytes: no room taken


def test_expiry_runs_over_every_workspace(tmp_path):
    from nnlab.data.uploads import expire_everywhere

    gone = _workspace_uploads(tmp_path, "aaaaaa")  # a visitor who never came back
    old = gone.save(CSV, "old.csv")
    long_ago = time.time() - 7200
    for path in gone.root.glob(f"{old.id}.*"):
        os.utime(path, (long_ago, long_ago))
    kept = _workspace_uploads(tmp_path, "bbbbbb").save(CSV + b"1,1,a\n", "fresh.csv")
    assert expire_everywhere(tmp_path, 3600) == 1
    assert gone.list() == [] and [u.id for u in _workspace_uploads(tmp_path, "bbbbbb").list()] == [kept.id]
