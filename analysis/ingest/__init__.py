"""Getting data in: one straight path detect -> read -> columns -> coordinates -> times -> validate -> frame."""
