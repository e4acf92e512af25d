<?php
/**
 * Plugin Name:       modq comment moderation
 * Description:       Sends each new comment to a self-hosted modq server, applies its decision (approve, hold, spam), takes later decisions from modq's signed webhooks, and reports Spam / Not spam / Approve back to modq.
 * Version:           1.0.0
 * Requires at least: 6.0
 * Requires PHP:      7.4
 * Author:            modq
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       modq
 *
 * This program is free software; you can redistribute it and/or modify it under the terms
 * of the GNU General Public License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'MODQ_PLUGIN_VERSION', '1.0.0' );

require_once __DIR__ . '/includes/class-modq-settings.php';
require_once __DIR__ . '/includes/class-modq-client.php';
require_once __DIR__ . '/includes/class-modq-signature.php';
require_once __DIR__ . '/includes/class-modq-comments.php';
require_once __DIR__ . '/includes/class-modq-webhook.php';
require_once __DIR__ . '/includes/class-modq-feedback.php';
require_once __DIR__ . '/includes/class-modq-admin.php';

Modq_Comments::register();
Modq_Webhook::register();
Modq_Feedback::register();
Modq_Admin::register();

register_deactivation_hook( __FILE__, array( 'Modq_Comments', 'unschedule' ) );
