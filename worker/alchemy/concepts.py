"""The built-in lists the ``interrogation`` form ranks an image against, by category.

Each category's best matches are returned with their CLIP similarity as the confidence; ``TOP`` says how many.
The lists are short on purpose (a few hundred texts encode once, in well under a second on a GPU).
"""

from __future__ import annotations

from typing import Final

TAGS: Final = (
    "person", "woman", "man", "child", "group of people", "portrait", "face", "hands", "cat", "dog", "horse", "bird",
    "fish", "dragon", "robot", "car", "train", "airplane", "ship", "bicycle", "house", "castle", "city", "street",
    "bridge", "tower", "church", "room", "kitchen", "forest", "tree", "flower", "garden", "field", "mountain",
    "river", "lake", "sea", "beach", "desert", "snow", "sky", "clouds", "sunset", "night", "moon", "stars", "rain",
    "fire", "water", "food", "fruit", "book", "sword", "armor", "crown", "hat", "dress", "suit", "uniform",
    "glasses", "skull", "monster", "angel", "knight", "wizard", "soldier", "king", "queen", "computer", "text",
    "logo", "pattern", "abstract shapes", "landscape", "cityscape", "interior", "still life", "space", "planet",
)  # fmt: skip
MEDIUMS: Final = (
    "a photograph", "a digital painting", "an oil painting", "a watercolor painting", "a pencil sketch",
    "a charcoal drawing", "an ink drawing", "a 3D render", "a pixel art image", "a vector illustration",
    "a comic book panel", "an anime drawing", "a manga page", "a poster", "a sculpture", "a mosaic",
    "a stained glass window", "a screenshot", "a collage", "an engraving", "a pastel drawing", "a tapestry",
)  # fmt: skip
MOVEMENTS: Final = (
    "impressionism", "expressionism", "surrealism", "cubism", "art nouveau", "art deco", "baroque", "renaissance",
    "romanticism", "realism", "pop art", "minimalism", "abstract expressionism", "ukiyo-e", "futurism",
    "pointillism", "bauhaus", "gothic art", "cyberpunk", "steampunk", "vaporwave", "synthwave", "fantasy art",
)  # fmt: skip
FLAVORS: Final = (
    "highly detailed", "sharp focus", "soft focus", "bokeh", "cinematic lighting", "dramatic lighting",
    "volumetric lighting", "golden hour", "backlit", "studio lighting", "neon lights", "dark", "bright", "colorful",
    "monochrome", "black and white", "sepia", "pastel colors", "vibrant colors", "muted colors", "high contrast",
    "low contrast", "moody", "peaceful", "whimsical", "eerie", "epic", "cute", "elegant", "gritty", "dreamy",
    "symmetrical", "wide angle", "close-up", "aerial view", "long exposure", "film grain", "blurry", "noisy",
    "lowres", "jpeg artifacts", "trending on artstation", "award winning", "masterpiece", "concept art",
)  # fmt: skip
TECHNIQUES: Final = (
    "cel shading", "impasto", "chiaroscuro", "sfumato", "glazing", "cross-hatching", "stippling", "airbrush",
    "double exposure", "tilt-shift", "macro photography", "long exposure photography", "hdr", "photobashing",
    "matte painting", "low poly", "ray tracing", "isometric",
)  # fmt: skip
SITES: Final = ("artstation", "deviantart", "pixiv", "behance", "flickr", "unsplash", "instagram", "reddit")

#: category -> its texts; these are the ``interrogation`` result's keys
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "tags": TAGS,
    "mediums": MEDIUMS,
    "movements": MOVEMENTS,
    "flavors": FLAVORS,
    "techniques": TECHNIQUES,
    "sites": SITES,
}
#: how many of each category's best matches are returned
TOP: Final[dict[str, int]] = {"tags": 10, "mediums": 3, "movements": 3, "flavors": 8, "techniques": 3, "sites": 2}
