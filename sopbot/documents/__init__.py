"""The SOP as a document: reading an agency's .docx, .pdf or text SOP into a draft definition
(import), and drawing a definition as the official Permenpan RB 35/2012 document (render).

Depends on the engine (the definition model) and messaging (the words of the review report)
only; the command line, the bot and the services use it.
"""
