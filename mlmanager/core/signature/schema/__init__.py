"""The MLflow signature type system, without mlflow and without numpy on the reading path.

Objects are immutable (frozen ``Struct``s, dataclass-like; tuples), so an edit builds a new signature and the
old one stays valid for undo. Reading accepts every dialect MLflow ever wrote (spec §4.2):

* ``none``     — 1.x–2.4: ``{"name", "type"}`` only; every column required;
* ``optional`` — 2.5–2.9: ``"optional": true`` on optional columns (3.x can no longer read it);
* ``required`` — 2.10+: ``"required"`` on every column.

Writing produces MLflow 3's canonical JSON (``current``), or on request the ``legacy`` form that
mlflow < 2.10 loads, or the ``optional`` form of 2.5–2.9.

The public import path is this package (``from mlmanager.core.signature.schema import Signature``);
its sections live in submodules: ``types`` (DataTypes, nested types, dtypes), ``specs`` (column,
tensor and param specs, schemas), ``values`` (checking param and JSON values), ``validation``
(the rules a signature follows), ``parsing`` (reading every dialect), ``dialects`` (writing one)
and ``signature`` (the signature itself).
"""

from __future__ import annotations

from mlmanager.core.signature.schema.dialects import DIALECTS, SourceStyle
from mlmanager.core.signature.schema.parsing import (
    detect_dialect,
    parse_params,
    parse_schema,
    parse_spec,
    parse_value_type,
)
from mlmanager.core.signature.schema.signature import SECTIONS, Signature
from mlmanager.core.signature.schema.specs import (
    ColSpec,
    ParamSchema,
    ParamSpec,
    Schema,
    Spec,
    TensorSpec,
    schema_from_specs,
)
from mlmanager.core.signature.schema.types import (
    COMPOSITE_TYPES,
    DATA_TYPES,
    NUMPY_DTYPES,
    PANDAS_DTYPES,
    PARAM_TYPES,
    TENSOR_DTYPES,
    AnyType,
    ArrayType,
    MapType,
    ObjectType,
    Property,
    ScalarType,
    SparkVectorType,
    ValueType,
    normalize_dtype,
)
from mlmanager.core.signature.schema.validation import Issue, validate_params, validate_schema
from mlmanager.core.signature.schema.values import (
    check_json_value,
    check_object_value,
    check_param_value,
)

__all__ = [
    "AnyType",
    "ArrayType",
    "check_json_value",
    "check_object_value",
    "check_param_value",
    "ColSpec",
    "COMPOSITE_TYPES",
    "DATA_TYPES",
    "detect_dialect",
    "DIALECTS",
    "Issue",
    "MapType",
    "normalize_dtype",
    "NUMPY_DTYPES",
    "ObjectType",
    "PANDAS_DTYPES",
    "PARAM_TYPES",
    "ParamSchema",
    "ParamSpec",
    "parse_params",
    "parse_schema",
    "parse_spec",
    "parse_value_type",
    "Property",
    "ScalarType",
    "Schema",
    "schema_from_specs",
    "SECTIONS",
    "Signature",
    "SourceStyle",
    "SparkVectorType",
    "Spec",
    "TENSOR_DTYPES",
    "TensorSpec",
    "validate_params",
    "validate_schema",
    "ValueType",
]
