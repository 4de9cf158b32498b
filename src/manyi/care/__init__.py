"""Care (domain §7): follow-up tasks, reminders on the solar and lunar calendars, the daily agenda."""
