"""CKAN's Solr schema with French text analysis: prints the schema read on stdin, its
`text` field type (the one CKAN indexes titles, descriptions, tags and the catch-all
field with) analysed for French instead of English.

  python3 french_text.py < ckan/config/solr/schema.xml > schema.xml

Why: with CKAN's English Snowball stemmer, "cantine" misses "Cantines", "l'eau" misses
"Eau potable" and accents must be typed as written. Here: elisions removed (l', d', qu'...),
lower case, accents folded (equipement = équipement), then Lucene's light French stemmer
(plurals and common suffixes). Only the `text` type changes, so CKAN's fields, copyFields
and the schema name it checks are its own.
"""

import re
import sys

ANALYZER = """<analyzer type="{kind}">
            <tokenizer class="solr.StandardTokenizerFactory"/>{synonyms}
            <filter class="solr.ElisionFilterFactory" ignoreCase="true"/>
            <filter class="solr.LowerCaseFilterFactory"/>
            <filter class="solr.ASCIIFoldingFilterFactory"/>
            <filter class="solr.FrenchLightStemFilterFactory"/>
        </analyzer>"""
FRENCH = ('<fieldType name="text" class="solr.TextField" positionIncrementGap="100">\n        '
          + ANALYZER.format(kind="index", synonyms="") + "\n        "
          + ANALYZER.format(kind="query", synonyms='\n            <filter class="solr.SynonymGraphFilterFactory"'
                            ' synonyms="synonyms.txt" ignoreCase="true" expand="true"/>')
          + "\n    </fieldType>")


def french(schema: str) -> str:
    rewritten, count = re.subn(r'<fieldType name="text" class="solr\.TextField".*?</fieldType>', FRENCH, schema,
                               count=1, flags=re.DOTALL)
    if count != 1:
        raise SystemExit("french_text.py: no <fieldType name=\"text\"> in the schema: CKAN's schema changed shape")
    return rewritten


if __name__ == "__main__":
    sys.stdout.write(french(sys.stdin.read()))
