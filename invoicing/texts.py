"""The legal wording printed on invoices (German), in one place so lawyers can read it."""

RETENTION_NOTICE = (
    "Sie sind gesetzlich verpflichtet, diese Rechnung, einen Zahlungsbeleg oder eine andere "
    "beweiskräftige Unterlage zwei Jahre lang aufzubewahren (§ 14 Abs. 4 Satz 1 Nr. 9, "
    "§ 14b Abs. 1 Satz 5 UStG). Die Frist beginnt mit dem Schluss dieses Kalenderjahres."
)

REVERSE_CHARGE_NOTICE = (
    "Steuerschuldnerschaft des Leistungsempfängers (§ 13b Abs. 2 Nr. 4, Abs. 5 Satz 2 UStG): "
    "Die Umsatzsteuer für diese Bauleistung schuldet der Leistungsempfänger."
)
REVERSE_CHARGE_REASON = "Steuerschuldnerschaft des Leistungsempfängers"

SMALL_BUSINESS_NOTICE = (
    "Umsatzsteuerfrei aufgrund der Kleinunternehmerregelung gemäß § 19 UStG; "
    "es wird keine Umsatzsteuer berechnet."
)
SMALL_BUSINESS_REASON = "Kleinunternehmerregelung gemäß § 19 UStG"

ZERO_RATE_NOTICE = (
    "Nullsteuersatz für die Lieferung und Installation einer Photovoltaikanlage "
    "gemäß § 12 Abs. 3 UStG."
)

HOUSEHOLD_NOTICE = (
    "Im Rechnungsbetrag enthaltene Arbeits-, Fahrt- und Maschinenkosten im Sinne von "
    "§ 35a Abs. 3 EStG (ohne Material): {gross} (netto {net} zzgl. {tax} USt). "
    "Die Steuerermäßigung setzt die unbare Zahlung auf unser Konto voraus."
)

PROGRESS_NOTICE = (
    "Abschlagsrechnung über eine Teilleistung; die Abrechnung aller Leistungen erfolgt mit der "
    "Schlussrechnung, die diese Abschlagszahlung und die darin enthaltene Umsatzsteuer abzieht."
)

FINAL_NOTICE = (
    "Die erhaltenen Abschlagszahlungen und die darauf entfallende Umsatzsteuer sind abgezogen "
    "(§ 14 Abs. 5 Satz 2 UStG)."
)

CANCELLATION_NOTICE = "Diese Stornorechnung hebt die Rechnung {number} vom {date} vollständig auf."

CREDIT_NOTE_NOTICE = "Gutschrift im Gutschriftsverfahren (§ 14 Abs. 2 Satz 2 UStG)."
CREDIT_NOTE_PAYOUT = (
    "Der Betrag wird mit der Verbundgebühr verrechnet und der Rest auf Ihr Konto überwiesen. "
    "Widersprechen Sie der Gutschrift, wenn sie nicht zutrifft (§ 14 Abs. 2 Satz 3 UStG)."
)
FEE_INTRODUCTION = "Für Ihre Leistungen im Monat {month} berechnen wir Ihnen die Verbundgebühr:"
# The fee invoice's payment terms: it is offset against the month's credit note.
CREDIT_NOTE_REVERSAL = (
    "Der zurückgenommene Betrag wird mit Ihrer nächsten Gutschrift verrechnet; reicht diese "
    "nicht aus, bitten wir um Rückzahlung."
)
FEE_OFFSET_NOTICE = (
    "Die Gebühr wird mit der Gutschrift {number} verrechnet; bitte nicht überweisen."
)

PAYMENT_TERMS = "Zahlbar ohne Abzug bis {due} unter Angabe der Rechnungsnummer {number}."
REFUND_TERMS = "Der Betrag wird Ihnen erstattet oder mit offenen Forderungen verrechnet."
NOTHING_DUE = "Der Betrag ist bereits vollständig beglichen."

# Quotes to consumers concluded online (§312g, §356 BGB).
WITHDRAWAL_NOTICE = (
    "Sie haben das Recht, binnen vierzehn Tagen ohne Angabe von Gründen diesen Vertrag zu "
    "widerrufen. Die Frist beträgt vierzehn Tage ab dem Tag des Vertragsschlusses. Um Ihr "
    "Widerrufsrecht auszuüben, genügt eine eindeutige Erklärung (z. B. Brief oder E-Mail). "
    "Haben Sie verlangt, dass wir während der Widerrufsfrist beginnen, zahlen Sie einen "
    "angemessenen Betrag für die bis zum Widerruf erbrachten Leistungen."
)
QUOTE_TAX_REDUCTION = (
    "Lohn- und Fahrtkosten (Arbeitsanteil) brutto: {labour} — davon können Sie voraussichtlich "
    "ca. {reduction} als Steuerermäßigung nach § 35a EStG geltend machen "
    "(20 %, höchstens 1.200 € im Jahr)."
)
