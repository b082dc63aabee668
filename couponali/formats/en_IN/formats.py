"""Django's date formats for our locale (en-in), where Django itself has none and would use American ones
("Dec. 4, 2026, 3:05 p.m."): what the admin, forms and the ``date`` filter print without a format of their own.
The same shapes as couponali.templatetags.money's ``dmy`` and ``ist`` ("4 Dec 2026", "4 Dec 2026, 3:05 p.m. IST"),
times labelled IST since TIME_ZONE is Asia/Kolkata. Input formats are Django's defaults (not set here).
"""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = r"j M Y, g:i a \I\S\T"
SHORT_DATETIME_FORMAT = r"j M Y, g:i a \I\S\T"
TIME_FORMAT = r"g:i a \I\S\T"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "j M"
FIRST_DAY_OF_WEEK = 1  # Monday
