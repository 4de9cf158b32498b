"""Manyi's emotion engine (issue 3): reads polarity, emotion, intensity and
escalation risk in Chinese and English customer text.

Pure Python: nothing here imports Django, so the engine works on its own
(`python -c "from manyi.emotion import text"`) and in the CRM alike.

- text: what the engine reads: any input cleaned, bounded and given a language;
- cues: escalation cues with their spans, and the signals of intensity;
- replies: the reply checker (what never to say, what a good answer has).
"""
