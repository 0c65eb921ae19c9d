"""The Redis lock semantics shared with the reference (DESIGN §2): compare-and-delete and
compare-and-expire, as the Lua scripts both cronix's trigger locks and the SDK's claim store
run. A key is only released or extended by the holder whose token it still holds, so a
holder whose lease expired can never delete or extend the next holder's key.

``KEYS[1]`` is the key, ``ARGV[1]`` the holder's token, ``ARGV[2]`` a TTL in milliseconds.
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMPARE_AND_DELETE", "COMPARE_AND_EXPIRE"]

COMPARE_AND_DELETE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

COMPARE_AND_EXPIRE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
