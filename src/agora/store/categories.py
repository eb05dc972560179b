"""The default category set, seeded on migrate and editable by admins afterwards."""

# (slug, French slug, English name, French name)
DEFAULT_CATEGORIES: tuple[tuple[str, str, str, str], ...] = (
    ("writing", "ecriture", "Writing", "Écriture"),
    ("productivity", "productivite", "Productivity", "Productivité"),
    ("research", "recherche", "Research & Analysis", "Recherche et analyse"),
    ("programming", "programmation", "Programming", "Programmation"),
    ("education", "education", "Education", "Éducation"),
    ("lifestyle", "style-de-vie", "Lifestyle", "Style de vie"),
    ("design", "design", "Design", "Design"),
    ("marketing", "marketing", "Marketing", "Marketing"),
    ("career", "carriere", "Career", "Carrière"),
    ("translation", "traduction", "Translation", "Traduction"),
    ("entertainment", "divertissement", "Entertainment", "Divertissement"),
    ("games", "jeux", "Games", "Jeux"),
)
