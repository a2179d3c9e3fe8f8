"""``manage.py import_postcodes PATH_OR_URL``: load the GeoNames postal-code export.

GeoNames publishes one tab-separated file per country (``DE.txt``, also zipped as ``DE.zip``)
under CC BY 4.0: country, postal code, place, state, state code, admin2, admin2 code, district,
district code, latitude, longitude, accuracy. Rows are upserted by (country, code, place); rows
that did not change are not written, so a second run of the same file changes nothing.
"""

import io
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from customers.geocoding import state_code
from customers.models import PostalCode

COLUMNS = 12


@dataclass(frozen=True)
class Row:
    code: str
    place: str
    state: str
    district: str
    lat: float
    lon: float
    accuracy: int | None

    def differs_from(self, existing: PostalCode) -> bool:
        return (
            self.state != existing.state
            or self.district != existing.district
            or self.accuracy != existing.accuracy
            or self.lon != existing.location.x
            or self.lat != existing.location.y
        )


class Command(BaseCommand):
    help = "Import or refresh postal codes from a GeoNames export (.txt, .zip or URL)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="path or http(s) URL of DE.txt or DE.zip")
        parser.add_argument("--country", default="DE", help="ISO country code (default DE)")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, source, country, batch_size, **options):
        started = time.monotonic()
        country = country.upper()
        text = self.read(source, country)
        rows, skipped = self.parse(text, country, source)
        self.stdout.write(f"Read {len(rows)} rows for {country} from {source}.")

        existing = {(p.code, p.place): p for p in PostalCode.objects.filter(country=country)}
        new = [row for key, row in rows.items() if key not in existing]
        changed = [
            row for key, row in rows.items() if key in existing and row.differs_from(existing[key])
        ]
        pending = new + changed
        with transaction.atomic():
            for start in range(0, len(pending), batch_size):
                batch = pending[start : start + batch_size]
                PostalCode.objects.bulk_create(
                    [self.model(country, row) for row in batch],
                    update_conflicts=True,
                    unique_fields=["country", "code", "place"],
                    update_fields=["state", "district", "location", "accuracy"],
                )
                self.stdout.write(f"  written {start + len(batch)}/{len(pending)}")
        unchanged = len(rows) - len(pending)
        self.stdout.write(
            self.style.SUCCESS(
                f"Postal codes {country}: {len(new)} new, {len(changed)} updated, "
                f"{unchanged} unchanged, {skipped} skipped (other country) "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
        self.stdout.write("Data: GeoNames (geonames.org), CC BY 4.0.")

    @staticmethod
    def model(country: str, row: Row) -> PostalCode:
        return PostalCode(
            country=country,
            code=row.code,
            place=row.place,
            state=row.state,
            district=row.district,
            location=Point(row.lon, row.lat, srid=4326),
            accuracy=row.accuracy,
        )

    def read(self, source: str, country: str) -> str:
        """The export's text, from a file or URL, unpacking ``<country>.txt`` from a zip."""
        if source.startswith(("http://", "https://")):
            self.stdout.write(f"Downloading {source} …")
            try:
                with urllib.request.urlopen(source, timeout=60) as response:
                    payload = response.read()
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise CommandError(f"Cannot download {source}: {exc}") from exc
        else:
            path = Path(source)
            if not path.is_file():
                raise CommandError(f"No such file: {source}")
            payload = path.read_bytes()
        if zipfile.is_zipfile(io.BytesIO(payload)):
            payload = self.unzip(payload, source, country)
        try:
            return payload.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{source} is not UTF-8 text: {exc}") from exc

    @staticmethod
    def unzip(payload: bytes, source: str, country: str) -> bytes:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = archive.namelist()
            member = f"{country}.txt"
            if member not in names:
                raise CommandError(f"{source} contains no {member} (found: {', '.join(names)})")
            return archive.read(member)

    def parse(self, text: str, country: str, source: str) -> tuple[dict, int]:
        """Rows of ``country`` keyed by (code, place), and how many rows were other countries.

        Any malformed row stops the import before anything is written.
        """
        rows: dict[tuple[str, str], Row] = {}
        skipped = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < COLUMNS:
                raise CommandError(
                    f"{source}, line {number}: expected {COLUMNS} tab-separated columns, "
                    f"found {len(fields)}."
                )
            if fields[0].strip().upper() != country:
                skipped += 1
                continue
            row = self.parse_row(fields, country)
            if isinstance(row, str):
                raise CommandError(f"{source}, line {number}: {row}")
            # A repeated (code, place) keeps the last row: one INSERT … ON CONFLICT may not
            # touch the same row twice.
            rows[row.code, row.place] = row
        if not rows:
            raise CommandError(f"{source} has no rows for country {country}.")
        return rows, skipped

    @staticmethod
    def parse_row(fields: list[str], country: str) -> Row | str:
        """A parsed row, or the reason it is malformed."""
        code, place = fields[1].strip(), fields[2].strip()
        if not code or len(code) > 10:
            return f"bad postal code {code!r}."
        if not place:
            return "the place name is empty."
        try:
            lat, lon = float(fields[9]), float(fields[10])
        except ValueError:
            return f"bad coordinates {fields[9]!r}, {fields[10]!r}."
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return f"coordinates out of range: {lat}, {lon}."
        accuracy = fields[11].strip()
        if accuracy and not accuracy.isdigit():
            return f"bad accuracy {accuracy!r}."
        state = (state_code(fields[4]) or state_code(fields[3])) if country == "DE" else ""
        return Row(
            code=code,
            place=place[:180],
            state=state,
            district=(fields[7].strip() or fields[5].strip())[:100],
            lat=lat,
            lon=lon,
            accuracy=int(accuracy) if accuracy else None,
        )
