"""The HTTP shell: the ASGI router in front of Bolt, serving, signed-link and OAuth routes."""
