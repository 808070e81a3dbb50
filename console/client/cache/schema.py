"""The cache's tables and indexes."""

from __future__ import annotations

from sqlite_utils import Database


def create_tables(db: Database) -> None:
    """Every table and index of the cache (those there already are left as they are)."""
    with db.atomic():
        db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        for name in ("services", "dispositions"):
            db.table(name).create(
                {"id": str if name == "dispositions" else int, "position": int, "json": str},
                pk="id",
                if_not_exists=True,
            )
        db.table("locations").create(
            {"id": int, "region": str, "json": str}, pk="id", if_not_exists=True
        )
        db.table("providers").create(
            {"id": int, "location_id": int, "json": str}, pk="id", if_not_exists=True
        )
        db.table("slots").create(
            {
                "id": int,
                "service_id": int,
                "location_id": int,
                "provider_id": int,
                "region": str,
                "starts_at": str,
                "status": str,
                "held_until": str,
                "json": str,
            },
            pk="id",
            not_null={"service_id", "starts_at", "status"},
            if_not_exists=True,
        )
        db.table("slots").create_index(["service_id", "starts_at"], if_not_exists=True)
        db.table("callers").create(
            {
                "id": int,
                "name_folded": str,
                "emso": str,
                "zzzs_number": str,
                "provisional": int,
                "stale": int,
                "touched_at": str,
                "json": str,
            },
            pk="id",
            if_not_exists=True,
        )
        db.table("callers").create_index(["emso"], if_not_exists=True)
        db.table("callers").create_index(["zzzs_number"], if_not_exists=True)
        db.table("callers").create_index(["touched_at"], if_not_exists=True)
        db.table("caller_phones").create(
            {"caller_id": int, "number": str}, pk=("caller_id", "number"), if_not_exists=True
        )
        db.table("caller_phones").create_index(["number"], if_not_exists=True)
        db.table("bookings").create(
            {
                "id": int,
                "reference": str,
                "caller_id": int,
                "slot_id": int,
                "starts_at": str,
                "status": str,
                "created_by": int,
                "provisional": int,
                "json": str,
            },
            pk="id",
            if_not_exists=True,
        )
        db.table("bookings").create_index(["reference"], unique=True, if_not_exists=True)
        db.table("bookings").create_index(["caller_id"], if_not_exists=True)
        db.table("bookings").create_index(["slot_id"], if_not_exists=True)
        # rekey_call finds the bookings of a call made offline by this expression.
        db.execute(
            "CREATE INDEX IF NOT EXISTS idx_bookings_call_id "
            "ON bookings (json_extract(json, '$.call_id'))"
        )
        db.table("calls").create(
            {
                "id": int,
                "caller_id": int,
                "agent_id": int,
                "started_at": str,
                "provisional": int,
                "json": str,
            },
            pk="id",
            if_not_exists=True,
        )
        db.table("calls").create_index(["caller_id"], if_not_exists=True)
        db.table("holds").create(
            {"id": int, "slot_id": int, "expires_at": str, "local": int},
            pk="id",
            if_not_exists=True,
        )
        db.table("idmap").create(
            {"kind": str, "local": str, "real": str}, pk=("kind", "local"), if_not_exists=True
        )
        db.table("issues").create(
            {
                "id": int,
                "outbox_seq": int,
                "kind": str,
                "created_at": str,
                "resolved_at": str,
                "resolution": str,
                "json": str,
            },
            pk="id",
            if_not_exists=True,
        )
        db.table("confirmations").create(
            {
                "id": int,
                "provisional": str,
                "created_at": str,
                "passed_on_at": str,
                "passed_on": str,
                "json": str,
            },
            pk="id",
            if_not_exists=True,
        )
