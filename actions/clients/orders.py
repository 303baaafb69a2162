"""Optional lookup of an order in the shop's system (ORDER_API_URL).

GET {ORDER_API_URL}/{order_number}: 200 → found, 404 → not found; anything else, a timeout or
a refused connection → unknown (the customer is never blocked because our system is down).
"""
from __future__ import annotations

from enum import Enum
from urllib.parse import quote

import requests


class OrderLookup(str, Enum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


_http = requests.Session()


def lookup_order(base_url: str, order_number: str, timeout: float) -> OrderLookup:
    try:
        response = _http.get(f"{base_url.rstrip('/')}/{quote(order_number)}", timeout=timeout)
    except requests.RequestException:
        return OrderLookup.UNAVAILABLE
    if response.status_code == 200:
        return OrderLookup.FOUND
    if response.status_code == 404:
        return OrderLookup.NOT_FOUND
    return OrderLookup.UNAVAILABLE
