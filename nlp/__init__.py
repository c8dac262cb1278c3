"""Language understanding for resident messages: jieba segmentation, keyword rules,
location and personal-data extraction. Imports nothing else of linli."""

from nlp.classifier import Classification, Classifier, Location
from nlp.rules import RuleError

__all__ = ["Classification", "Classifier", "Location", "RuleError"]
