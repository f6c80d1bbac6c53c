"""Guidance, navigation and control above the flight and the cameras: terrain-relative navigation.

The Lander Vision System (LVS) of Mars 2020 and Safe Target Selection (STS): the onboard map
(:mod:`~edlcam.gnc.onboard_map`), the hazard map (:mod:`~edlcam.gnc.hazard`), map-relative
localization (:mod:`~edlcam.gnc.mrl`), the IMU and the navigation filter
(:mod:`~edlcam.gnc.imu`, :mod:`~edlcam.gnc.filter`), target selection (:mod:`~edlcam.gnc.sts`)
and the closed loop that flies them (:mod:`~edlcam.gnc.loop`). Imports flow one way: this
package may import ``flight``, ``cameras`` and ``mars``; nothing below imports it.
"""
