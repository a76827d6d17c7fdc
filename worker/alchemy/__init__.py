"""Alchemy: captions, NSFW checks, interrogation and post-processing (upscalers, face fixers, background removal)
of images, with models read from local files."""
