"""Regenerate macros/schema/customui14.xsd (customUI, namespace 2009/07).

Microsoft's customUI14.xsd is only published on microsoft.com, which this
project cannot reach.  The Open XML SDK (MIT) carries the same schema as
machine-readable data (types, attributes with their facets, content models,
enumerations); the PyPI package ``openxml-audit`` (MIT) ships that data as
``openxml_audit/data/openxml/schemas/schemas_microsoft_com_office_2009_07_customui.json``.
This script turns it back into an XML Schema:

    pip install openxml-audit==0.8.0
    python macros/schema/gen_customui14_xsd.py > macros/schema/customui14.xsd

The result is a reconstruction, not Microsoft's file byte for byte: simple
types are written inline for each attribute, and named model groups are
inlined; the elements, attributes, facets, enumerations and occurrence
bounds are those of the data.
"""
from __future__ import annotations

import json
import sys
from importlib import resources
from xml.sax.saxutils import quoteattr

NS = "http://schemas.microsoft.com/office/2009/07/customui"
DATA = "data/openxml/schemas/schemas_microsoft_com_office_2009_07_customui.json"


def load() -> dict:
    return json.loads(resources.files("openxml_audit").joinpath(DATA).read_text(encoding="utf-8"))


def split(name: str) -> tuple[str, str]:
    """'mso14:CT_Button/mso14:button' -> ('CT_Button', 'button')."""
    ct, _, el = name.partition("/")
    return ct.split(":")[-1], el.split(":")[-1]


def occurs(item: dict) -> str:
    occ = (item.get("Occurs") or [{}])[0]
    lo = occ.get("Min", 0 if item.get("Occurs") else 1)
    hi = occ.get("Max", "unbounded" if item.get("Occurs") else 1)
    out = ""
    if lo != 1:
        out += f' minOccurs="{lo}"'
    if hi != 1:
        out += f' maxOccurs="{hi}"'
    return out


class Gen:
    def __init__(self, data: dict) -> None:
        self.data = data
        self.enums = {e["Name"]: e for e in data["Enums"]}
        self.out: list[str] = []

    def w(self, depth: int, text: str) -> None:
        self.out.append("  " * depth + text)

    def particle(self, p: dict, depth: int) -> None:
        kind = p.get("Kind")
        if kind is None:  # an element
            ct, el = split(p["Name"])
            self.w(depth, f'<xsd:element name="{el}" type="{ct}"{occurs(p)}/>')
            return
        if kind == "Group":  # a named model group in the original: inlined
            items = p["Items"]
            if len(items) == 1 and "Kind" in items[0] and not p.get("Occurs"):
                self.particle(items[0], depth)
                return
            kind = "Sequence"
        tag = {"Sequence": "sequence", "Choice": "choice", "All": "all"}[kind]
        self.w(depth, f"<xsd:{tag}{occurs(p)}>")
        for item in p["Items"]:
            self.particle(item, depth + 1)
        self.w(depth, f"</xsd:{tag}>")

    def attribute(self, a: dict, depth: int) -> None:
        name = a["QName"].split(":")[-1]
        typ = a["Type"]
        validators = {v["Name"]: {x["Name"]: x["Value"] for x in v.get("Arguments", [])}
                      for v in a.get("Validators", [])}
        use = ' use="required"' if "RequiredValidator" in validators else ""
        if typ == "BooleanValue":
            self.w(depth, f'<xsd:attribute name="{name}" type="xsd:boolean"{use}/>')
            return
        if typ.startswith("EnumValue<"):
            enum = self.enums[typ[len("EnumValue<"):-1].split(".")[-1]]
            self.w(depth, f'<xsd:attribute name="{name}"{use}>')
            self.w(depth + 1, '<xsd:simpleType><xsd:restriction base="xsd:string">')
            for f in enum["Facets"]:
                self.w(depth + 2, f"<xsd:enumeration value={quoteattr(f['Value'])}/>")
            self.w(depth + 1, "</xsd:restriction></xsd:simpleType>")
            self.w(depth, "</xsd:attribute>")
            return
        if typ == "IntegerValue":
            base = "xsd:positiveInteger" if validators.get("NumberValidator", {}).get("IsPositive") == "True" else "xsd:integer"
            facets = validators.get("NumberValidator", {})
            self.w(depth, f'<xsd:attribute name="{name}"{use}>')
            self.w(depth + 1, f'<xsd:simpleType><xsd:restriction base="{base}">')
            if "MinInclusive" in facets:
                self.w(depth + 2, f'<xsd:minInclusive value="{facets["MinInclusive"]}"/>')
            if "MaxInclusive" in facets:
                self.w(depth + 2, f'<xsd:maxInclusive value="{facets["MaxInclusive"]}"/>')
            self.w(depth + 1, "</xsd:restriction></xsd:simpleType>")
            self.w(depth, "</xsd:attribute>")
            return
        if typ != "StringValue":
            raise ValueError(f"unhandled attribute type {typ} of {name}")
        facets = validators.get("StringValidator", {})
        if facets.get("IsId") == "True":
            base = "xsd:ID"
        elif facets.get("IsNcName") == "True":
            base = "xsd:NCName"
        elif facets.get("IsQName") == "True":
            base = "xsd:QName"
        elif facets.get("IsToken") == "True":
            base = "xsd:token"
        else:
            base = "xsd:string"
        self.w(depth, f'<xsd:attribute name="{name}"{use}>')
        self.w(depth + 1, f'<xsd:simpleType><xsd:restriction base="{base}">')
        if "MinLength" in facets:
            self.w(depth + 2, f'<xsd:minLength value="{facets["MinLength"]}"/>')
        if "MaxLength" in facets:
            self.w(depth + 2, f'<xsd:maxLength value="{facets["MaxLength"]}"/>')
        self.w(depth + 1, "</xsd:restriction></xsd:simpleType>")
        self.w(depth, "</xsd:attribute>")

    def run(self) -> str:
        self.w(0, '<?xml version="1.0" encoding="utf-8"?>')
        self.w(0, "<!--")
        self.w(0, "  customUI schema, namespace http://schemas.microsoft.com/office/2009/07/customui")
        self.w(0, "  (Office 2010 and later; Microsoft's file name: customUI14.xsd).")
        self.w(0, "  Reconstructed by macros/schema/gen_customui14_xsd.py from the Open XML SDK")
        self.w(0, "  schema data (MIT, (c) Microsoft / .NET Foundation) as shipped in the PyPI")
        self.w(0, "  package openxml-audit 0.8.0 (MIT):")
        self.w(0, f"  openxml_audit/{DATA}")
        self.w(0, "  Not Microsoft's file byte for byte; see macros/README.md.")
        self.w(0, "-->")
        self.w(0, f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{NS}"'
                  f' targetNamespace="{NS}" elementFormDefault="qualified" attributeFormDefault="unqualified">')
        roots = [t for t in self.data["Types"] if t.get("Part")]
        for t in roots:
            ct, el = split(t["Name"])
            self.w(1, f'<xsd:element name="{el}" type="{ct}"/>')
        seen: set[str] = set()
        for t in sorted(self.data["Types"], key=lambda t: split(t["Name"])[0]):
            ct, _el = split(t["Name"])
            if ct in seen:
                continue
            seen.add(ct)
            self.w(1, f'<xsd:complexType name="{ct}">')
            if t.get("Particle"):
                self.particle(t["Particle"], 2)
            for a in t.get("Attributes", []):
                self.attribute(a, 2)
            self.w(1, "</xsd:complexType>")
        self.w(0, "</xsd:schema>")
        return "\n".join(self.out) + "\n"


def main() -> int:
    sys.stdout.write(Gen(load()).run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
