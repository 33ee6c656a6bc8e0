"""``GET /field/entity/{entity}``: custom field definitions in the shape public clients parse.

**INFERRED** from client code, not from documentation (issue 16), and kept here only:

- ``fieldTypeMetadata`` is a **numeric field-type id** (the Jenkins ZE plugin declares it
  ``Long``; a migration tool does ``int(...)``). The numbers below are the sandbox's
  choice: no public source lists ZE's own table.
- ``fieldType`` repeats that id as text (older clients read the word form; they get the
  id, as the same clients do from a real server).
- picklist options are ``configs[0].options.items``, one ``"key,value"`` per line;
- ``isVisible``, ``systemField``, ``allProject``, ``projectIds`` and ``defaultValue`` are
  read by those clients: every sandbox field is visible, custom, in all projects, with no
  default.

>>> [f["searchFieldName"] for f in definitions("requirement")]
['customtext', 'custompicklist']
>>> pick = definitions("testcase")[1]
>>> pick["fieldTypeMetadata"], pick["configs"][0]["options"]["items"].splitlines()[:2]
(4, ['1,Web', '2,iOS'])
"""

from __future__ import annotations

from typing import Any

from zql.sandbox.model import CUSTOM_FIELDS
from zql.schema import ENTITIES

__all__ = ["FIELD_TYPE_IDS", "definitions"]

#: custom field kind -> ZE field-type id (INFERRED, see the module docstring)
FIELD_TYPE_IDS: dict[str, int] = {"text": 1, "longtext": 2, "checkbox": 3, "picklist": 4,
                                  "number": 5, "date": 6}


def definitions(entity: str) -> list[dict[str, Any]]:
    """The custom field definitions of ``entity`` (a name from :data:`zql.schema.ENTITIES`).

    >>> definitions("execution")
    []
    """
    out = []
    for i, field in enumerate(CUSTOM_FIELDS[entity], 1):
        type_id = FIELD_TYPE_IDS[field.kind]
        item: dict[str, Any] = {
            "id": 100 + ENTITIES.index(entity) * 10 + i, "entityName": entity,
            "fieldName": field.search_name, "columnName": f"zcf_{field.search_name}",
            "displayName": field.display_name, "searchFieldName": field.search_name,
            "fieldTypeMetadata": type_id, "fieldType": str(type_id), "kind": field.kind,
            "searchable": True, "mandatory": False, "isVisible": True,
            "systemField": False, "allProject": True, "projectIds": [], "defaultValue": "",
            "configs": [],
        }
        if field.options:
            items = "\n".join(f"{j},{option}" for j, option in enumerate(field.options, 1))
            item["configs"] = [{"options": {"items": items}}]
        out.append(item)
    return out
