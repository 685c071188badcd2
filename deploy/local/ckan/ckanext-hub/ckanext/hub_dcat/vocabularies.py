"""The controlled vocabularies DCAT-AP 3 asks for, as far as the hub's catalogue uses them.

CKAN keeps readable labels (format `CSV`, media type `text/csv`: its search facets and
resource pages show them); the profile turns them into the vocabularies' IRIs.
"""

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
# EU file types (http://publications.europa.eu/resource/authority/file-type), by CKAN format.
FILE_TYPES = {
    "CSV": "CSV", "PARQUET": "PARQUET", "JSON": "JSON", "GEOJSON": "GEOJSON", "XLSX": "XLSX",
    "XLS": "XLS", "ODS": "ODS", "ZIP": "ZIP", "PDF": "PDF", "XML": "XML", "TXT": "TXT",
}
IANA_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"
LANGUAGE_FRA = EU_AUTHORITY + "language/FRA"
DATA_THEMES = EU_AUTHORITY + "data-theme"
# Every file the hub publishes is kept while its dataset is: "stable" availability.
AVAILABILITY_STABLE = EU_AUTHORITY + "planned-availability/STABLE"
AVAILABILITY_LABELS = {"fr": "stable", "en": "stable"}
# ADMS publisher types the hub uses (http://purl.org/adms/publishertype/1.0), with the
# vocabulary's own label (it has English ones only).
PUBLISHER_TYPES = {"http://purl.org/adms/publishertype/LocalAuthority": {"en": "Local Authority"}}
