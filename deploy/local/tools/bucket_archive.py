"""The hub's bucket to a folder and back, through the S3 API with the hub's own key (the
stack's backup.sh runs it with the project venv):

  bucket_archive.py dump FOLDER      every object as FOLDER/objects/<n>, index.json listing
                                     key, file, size, sha256, content type and metadata
  bucket_archive.py load FOLDER      the bucket made equal to FOLDER: each object written
                                     back (skipped when the same bytes are there), objects
                                     the archive does not hold removed

Keys come back from the index as they were written; the files are numbered, so no key can
name a path outside FOLDER. Prints one line of counts.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from connectors.objectstore import ObjectStore

FORMAT = 1


def dump(store: ObjectStore, folder: Path) -> dict:
    objects = folder / "objects"
    objects.mkdir(parents=True, exist_ok=True)
    index = []
    for n, obj in enumerate(store.list("")):
        path = objects / str(n)
        store.get_file(obj.key, path)
        stat = store.client.stat_object(store.bucket, obj.key)
        index.append({"key": obj.key, "file": f"objects/{n}", "size": path.stat().st_size,
                      "sha256": _sha256(path), "content_type": stat.content_type or "application/octet-stream",
                      "metadata": _user_metadata(stat.metadata)})
    (folder / "index.json").write_text(json.dumps({"format": FORMAT, "bucket": store.bucket, "objects": index},
                                                  ensure_ascii=False, indent=1))
    return {"objects": len(index), "bytes": sum(o["size"] for o in index)}


def load(store: ObjectStore, folder: Path) -> dict:
    index = json.loads((folder / "index.json").read_text())
    if index.get("format") != FORMAT:
        raise SystemExit(f"{folder / 'index.json'}: format {index.get('format')!r}, expected {FORMAT}")
    held = {obj.key: obj for obj in store.list("")}
    written = kept = 0
    for entry in index["objects"]:
        path = (folder / entry["file"]).resolve()
        if not path.is_relative_to(folder.resolve()) or _sha256(path) != entry["sha256"]:
            raise SystemExit(f"{folder / 'index.json'}: {entry['key']}: file {entry['file']} missing or altered")
        current = held.pop(entry["key"], None)
        same_size = current is not None and current.size == entry["size"]
        if same_size and _stored_sha256(store, entry["key"]) == entry["sha256"]:
            kept += 1
            continue
        store.put_file(entry["key"], path, entry["content_type"], entry["metadata"] or None)
        written += 1
    for key in held:  # what was written after the backup: not part of the state restored
        store.remove(key)
    return {"objects": len(index["objects"]), "written": written, "unchanged": kept, "removed": len(held)}


def _user_metadata(headers) -> dict[str, str]:
    """The object's own metadata (x-amz-meta-*), as put_object takes it back."""
    prefix = "x-amz-meta-"
    return {k[len(prefix):]: v for k, v in (headers or {}).items() if k.lower().startswith(prefix)}


def _stored_sha256(store: ObjectStore, key: str) -> str:
    return hashlib.sha256(store.get_bytes(key)).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"dump", "load"}:
        print(__doc__, file=sys.stderr)
        return 2
    store, folder = ObjectStore.from_environment(), Path(argv[1])
    counts = dump(store, folder) if argv[0] == "dump" else load(store, folder)
    print(f"bucket {store.bucket}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
