from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from sitekit.storage.orm import NAMING, TYPE_ANNOTATION_MAP


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = TYPE_ANNOTATION_MAP
