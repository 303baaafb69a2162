"""Agent passwords: scrypt with a per-user random salt, stored as one self-describing string.

`scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`: the cost parameters travel with the hash, so they
can be raised later without invalidating existing passwords.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1  # ~16 MiB and a few tens of ms per check
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check; False (never an exception) for a malformed stored value."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(bytes.fromhex(expected)), maxmem=128 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), expected)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked against when the agent does not exist, so a login for an unknown name takes as
    long as one with a wrong password (no user enumeration by timing)."""
    return hash_password(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    """A Chinese explanation of why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"密码至少 {MIN_PASSWORD_CHARS} 个字符。"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"密码最长 {MAX_PASSWORD_CHARS} 个字符。"
    return None
