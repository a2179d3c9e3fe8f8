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

# The invoice of a withdrawn package (§ 357a Abs. 2 BGB): its subject, the introduction that
# replaces the greeting, and the note printed with the legal notes (and in the e-invoice).
COMPENSATION_TITLE = "Wertersatz nach Widerruf: {title}"
COMPENSATION_INTRODUCTION = (
    "Sie haben den Vertrag „{title}“ am {date} um {time} Uhr widerrufen. Weil Sie ausdrücklich "
    "verlangt hatten, dass wir vor Ablauf der Widerrufsfrist mit den Arbeiten beginnen, haben Sie "
    "für die bis zu Ihrem Widerruf erbrachten Leistungen Wertersatz zu leisten (§ 357a Abs. 2 "
    "BGB). Berechnet sind nur die bis zu diesem Zeitpunkt erfassten Arbeitsstunden und "
    "Materialien:"
)
COMPENSATION_NOTICE = (
    "Wertersatz für die bis zum Widerruf am {date}, {time} Uhr erbrachten Leistungen "
    "(§ 357a Abs. 2 BGB); eine Koordinationspauschale wird nicht berechnet."
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
# A compensation invoice's credit: what she paid, less the compensation (§ 357 BGB).
COMPENSATION_REFUND_TERMS = (
    "Den Betrag erstatten wir Ihnen unverzüglich mit demselben Zahlungsmittel, mit dem Sie "
    "gezahlt haben."
)
REFUND_TERMS = "Der Betrag wird Ihnen erstattet oder mit offenen Forderungen verrechnet."
NOTHING_DUE = "Der Betrag ist bereits vollständig beglichen."

# Quotes to consumers concluded online (§312g, §356 BGB).
# The model instructions on withdrawal for services (Anlage 1 zu Art. 246a § 1 Abs. 2 S. 2
# EGBGB) and the model withdrawal form (Anlage 2), with the cooperative as "uns".
WITHDRAWAL_NOTICE = (
    "Widerrufsrecht",
    "Sie haben das Recht, binnen vierzehn Tagen ohne Angabe von Gründen diesen Vertrag zu "
    "widerrufen. Die Widerrufsfrist beträgt vierzehn Tage ab dem Tag des Vertragsabschlusses.",
    "Um Ihr Widerrufsrecht auszuüben, müssen Sie uns ({trader}) mittels einer eindeutigen "
    "Erklärung (z. B. ein mit der Post versandter Brief oder eine E-Mail) über Ihren Entschluss, "
    "diesen Vertrag zu widerrufen, informieren. Sie können dafür das beigefügte "
    "Muster-Widerrufsformular verwenden, das jedoch nicht vorgeschrieben ist. Zur Wahrung der "
    "Widerrufsfrist reicht es aus, dass Sie die Mitteilung über die Ausübung des "
    "Widerrufsrechts vor Ablauf der Widerrufsfrist absenden.",
    "Folgen des Widerrufs",
    "Wenn Sie diesen Vertrag widerrufen, haben wir Ihnen alle Zahlungen, die wir von Ihnen "
    "erhalten haben, unverzüglich und spätestens binnen vierzehn Tagen ab dem Tag "
    "zurückzuzahlen, an dem die Mitteilung über Ihren Widerruf dieses Vertrags bei uns "
    "eingegangen ist. Für diese Rückzahlung verwenden wir dasselbe Zahlungsmittel, das Sie bei "
    "der ursprünglichen Transaktion eingesetzt haben, es sei denn, mit Ihnen wurde ausdrücklich "
    "etwas anderes vereinbart; in keinem Fall werden Ihnen wegen dieser Rückzahlung Entgelte "
    "berechnet.",
    "Haben Sie verlangt, dass die Dienstleistungen während der Widerrufsfrist beginnen sollen, "
    "so haben Sie uns einen angemessenen Betrag zu zahlen, der dem Anteil der bis zu dem "
    "Zeitpunkt, zu dem Sie uns von der Ausübung des Widerrufsrechts hinsichtlich dieses "
    "Vertrags unterrichten, bereits erbrachten Dienstleistungen im Vergleich zum Gesamtumfang "
    "der im Vertrag vorgesehenen Dienstleistungen entspricht.",
)
WITHDRAWAL_HEADINGS = {"Widerrufsrecht", "Folgen des Widerrufs"}
WITHDRAWAL_FORM = (
    "Muster-Widerrufsformular",
    "(Wenn Sie den Vertrag widerrufen wollen, dann füllen Sie bitte dieses Formular aus und "
    "senden Sie es zurück.)",
    "An {trader}:",
    "Hiermit widerrufe(n) ich/wir (*) den von mir/uns (*) abgeschlossenen Vertrag über die "
    "Erbringung der folgenden Dienstleistung: {service}",
    "Bestellt am: ____________",
    "Name des/der Verbraucher(s): ____________",
    "Anschrift des/der Verbraucher(s): ____________",
    "Unterschrift des/der Verbraucher(s) (nur bei Mitteilung auf Papier): ____________",
    "Datum: ____________",
    "(*) Unzutreffendes streichen.",
)


def trader_identity(coop) -> str:
    """The cooperative as the withdrawal notice names it: name, address, e-mail."""
    return coop.identity if coop is not None else "der Genossenschaft"


SUPPLEMENT_TRAVEL = "Anfahrten werden nach Aufwand berechnet, zum Kilometersatz des Auftrags."
QUOTE_TAX_REDUCTION = (
    "Lohn- und Fahrtkosten (Arbeitsanteil) brutto: {labour} — davon können Sie voraussichtlich "
    "ca. {reduction} als Steuerermäßigung nach § 35a EStG geltend machen "
    "(20 %, höchstens 1.200 € im Jahr)."
)
SUPPLEMENT_TAX_REDUCTION_USED = (
    "Lohn- und Fahrtkosten (Arbeitsanteil) brutto: {labour} — die Steuerermäßigung nach § 35a "
    "EStG (20 %, höchstens 1.200 € im Jahr) schöpft Ihr Auftrag voraussichtlich schon aus."
)
