"""A run on the page: Stylize and Stop, a picture's or a clip's run streamed as page updates, what it keeps."""
