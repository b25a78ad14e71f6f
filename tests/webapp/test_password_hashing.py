"""Passwords at the production cost, end to end: the suite hashes at argon2id's lowest cost (tests/conftest.py),
so here a user's password is set with the product's own hasher and the user logs in through the real app."""
from __future__ import annotations

from argon2 import PasswordHasher, Type

from engine.people import accounts
from engine.people.accounts import PRODUCTION_HASHER, hash_password, use_password_hasher, verify_password
from engine.store.models import User
from tests.conftest import CSRF_RE, TEST_HASHER


def test_the_product_hashes_with_argon2id_at_rfc_9106_low_memory_cost():
    default = PasswordHasher()
    assert (PRODUCTION_HASHER.type, PRODUCTION_HASHER.time_cost, PRODUCTION_HASHER.memory_cost,
            PRODUCTION_HASHER.parallelism) == (Type.ID, 3, 65536, 4) == (
            default.type, default.time_cost, default.memory_cost, default.parallelism)


def test_a_password_hashed_at_production_cost_logs_in_through_the_app(app, db, new_user):
    username = new_user(("township", "320921100"))
    previous = use_password_hasher(PRODUCTION_HASHER)
    try:
        assert previous is TEST_HASHER
        production_hash = hash_password("production-cost-2026")
        assert production_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        with db.unit_of_work(write=True) as uow:
            uow.session.query(User).filter_by(username=username).one().password_hash = production_hash
            uow.commit()
        client = app.test_client()
        token = CSRF_RE.search(client.get("/login").text).group(1)
        wrong = client.post("/login", data={"username": username, "password": "production-cost-2025",
                                            "csrf_token": token})
        assert wrong.status_code == 401
        right = client.post("/login", data={"username": username, "password": "production-cost-2026",
                                            "csrf_token": token})
        assert right.status_code == 302
        assert client.get("/inbox").status_code == 200
        # the unknown user's dummy hash is at the production cost too (timing stays uniform)
        assert accounts._DUMMY_HASH.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert verify_password(accounts._DUMMY_HASH, "jiuzhu-no-such-user")
    finally:
        use_password_hasher(previous)
    assert accounts._DUMMY_HASH.startswith("$argon2id$v=19$m=8,t=1,p=1$")
