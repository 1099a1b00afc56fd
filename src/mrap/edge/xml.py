"""XML codec: response documents out, request documents in (parsed safely)."""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeTree

from mrap import errors
from mrap.operation import XmlChildren, XmlDoc, XmlValue

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def format_timestamp(value: datetime) -> str:
    """ISO 8601 with milliseconds, as S3 writes timestamps in XML."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _text(value: XmlValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    return escape(str(value))


def _children(parts: list[str], children: XmlChildren) -> None:
    for name, value in children:
        if value is None:
            continue
        if isinstance(value, list | tuple):
            parts.append(f"<{name}>")
            _children(parts, value)
            # A name may carry attributes (`Grantee xsi:type="Group"`); the end tag has none.
            parts.append(f"</{name.split(' ', 1)[0]}>")
        else:
            parts.append(f"<{name}>{_text(value)}</{name}>")


def encode(doc: XmlDoc) -> bytes:
    """Serialize a response document."""
    ns = f' xmlns="{doc.namespace}"' if doc.namespace else ""
    parts = [_DECLARATION, f"<{doc.root}{ns}>"]
    if doc.text is not None:
        parts.append(escape(doc.text))
    _children(parts, doc.children)
    parts.append(f"</{doc.root}>")
    return "".join(parts).encode()


def _strip_namespaces(element: Element) -> Element:
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]
    return element


def parse(body: bytes) -> Element:
    """Parse a request document, refusing entities and DTD tricks; MalformedXML if bad."""
    try:
        root = SafeTree.fromstring(body, forbid_dtd=True)
    except Exception:
        raise errors.MalformedXML() from None
    return _strip_namespaces(root)
