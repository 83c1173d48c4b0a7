"""``describe`` and the resource lists: what Salesforce says about its objects and fields."""

from __future__ import annotations

from typing import Any

from system_apis.backends.crm.records import API_VERSION, DATA_PATH
from system_apis.backends.crm.sobjects import SOBJECTS, FieldSpec, FieldType, SObjectSpec

_SOAP_TYPES = {
    FieldType.ID: "tns:ID",
    FieldType.REFERENCE: "tns:ID",
    FieldType.BOOLEAN: "xsd:boolean",
    FieldType.DATETIME: "xsd:dateTime",
    FieldType.DATE: "xsd:date",
}


def versions(root: str) -> list[dict[str, str]]:
    return [
        {
            "label": "Winter '24",
            "url": f"{root}/services/data/{API_VERSION}",
            "version": API_VERSION.removeprefix("v"),
        }
    ]


def resources(root: str) -> dict[str, str]:
    base = f"{root}{DATA_PATH}"
    return {
        "query": f"{base}/query",
        "queryAll": f"{base}/queryAll",
        "sobjects": f"{base}/sobjects",
    }


def _urls(spec: SObjectSpec, root: str) -> dict[str, str]:
    base = f"{root}{DATA_PATH}/sobjects/{spec.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def object_summary(spec: SObjectSpec, root: str) -> dict[str, Any]:
    return {
        "name": spec.name,
        "label": spec.label,
        "labelPlural": spec.label_plural,
        "keyPrefix": spec.key_prefix,
        "custom": False,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "urls": _urls(spec, root),
    }


def describe_global(root: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_summary(spec, root) for spec in SOBJECTS.values()],
    }


def describe_field(field: FieldSpec) -> dict[str, Any]:
    return {
        "name": field.name,
        "label": field.label,
        "type": field.type.value,
        "soapType": _SOAP_TYPES.get(field.type, "xsd:string"),
        "length": field.length or 0,
        "custom": field.custom,
        "createable": field.createable,
        "updateable": field.updateable,
        "nillable": field.nillable,
        "filterable": field.filterable,
        "sortable": field.filterable,
        "externalId": field.external_id,
        "unique": field.external_id,
        "restrictedPicklist": field.restricted,
        "referenceTo": [field.reference_to] if field.reference_to else [],
        "defaultValue": field.default,
        "picklistValues": [
            {"active": True, "defaultValue": value == field.default, "label": value, "value": value}
            for value in field.picklist
        ],
    }


def describe(spec: SObjectSpec, root: str) -> dict[str, Any]:
    return {
        **object_summary(spec, root),
        "fields": [describe_field(field) for field in spec.fields],
    }
