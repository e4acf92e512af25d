<?php
/**
 * The settings page (Settings -> modq) and the modq column of the comments screen.
 *
 * @package modq
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Admin screens.
 */
class Modq_Admin {
	/** Hook into WordPress. */
	public static function register() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'settings' ) );
		add_filter( 'manage_edit-comments_columns', array( __CLASS__, 'columns' ) );
		add_action( 'manage_comments_custom_column', array( __CLASS__, 'column' ), 10, 2 );
	}

	/** Settings -> modq. */
	public static function menu() {
		add_options_page( 'modq', 'modq', 'manage_options', 'modq', array( __CLASS__, 'page' ) );
	}

	/** The four settings, each sanitized. */
	public static function settings() {
		register_setting( 'modq', Modq_Settings::URL, array( 'sanitize_callback' => 'esc_url_raw' ) );
		register_setting( 'modq', Modq_Settings::SITE_KEY, array( 'sanitize_callback' => 'sanitize_text_field' ) );
		register_setting( 'modq', Modq_Settings::WEBHOOK_SECRET, array( 'sanitize_callback' => 'sanitize_text_field' ) );
		register_setting(
			'modq',
			Modq_Settings::OUTAGE_POLICY,
			array(
				'sanitize_callback' => function ( $value ) {
					return 'approve' === $value ? 'approve' : 'hold';
				},
				'default'           => 'hold',
			)
		);
	}

	/** The settings form. */
	public static function page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$webhook = rest_url( Modq_Webhook::NAMESPACE_ . Modq_Webhook::ROUTE );
		?>
		<div class="wrap">
			<h1>modq</h1>
			<form method="post" action="options.php">
				<?php settings_fields( 'modq' ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="modq_url">modq URL</label></th>
						<td><input name="modq_url" id="modq_url" type="url" class="regular-text" value="<?php echo esc_attr( Modq_Settings::url() ); ?>" placeholder="https://modq.example.org" /></td>
					</tr>
					<tr>
						<th scope="row"><label for="modq_site_key">Site key</label></th>
						<td><input name="modq_site_key" id="modq_site_key" type="password" class="regular-text" value="<?php echo esc_attr( Modq_Settings::site_key() ); ?>" autocomplete="off" />
						<p class="description">From <code>modq sites add NAME</code>.</p></td>
					</tr>
					<tr>
						<th scope="row"><label for="modq_webhook_secret">Webhook secret</label></th>
						<td><input name="modq_webhook_secret" id="modq_webhook_secret" type="password" class="regular-text" value="<?php echo esc_attr( Modq_Settings::webhook_secret() ); ?>" autocomplete="off" />
						<p class="description">From <code>modq webhooks add --site NAME <?php echo esc_html( $webhook ); ?></code> (the <code>whsec_…</code> secret).</p></td>
					</tr>
					<tr>
						<th scope="row">When modq is unreachable</th>
						<td>
							<label><input type="radio" name="modq_outage_policy" value="hold" <?php checked( 'hold', Modq_Settings::outage_policy() ); ?> /> Hold new comments for moderation (default)</label><br />
							<label><input type="radio" name="modq_outage_policy" value="approve" <?php checked( 'approve', Modq_Settings::outage_policy() ); ?> /> Approve new comments</label>
							<p class="description">Either way each comment is sent to modq again by WP-Cron until modq has it, and modq's decision then applies.</p>
						</td>
					</tr>
				</table>
				<?php submit_button(); ?>
			</form>
		</div>
		<?php
	}

	/**
	 * Add the modq column to the comments screen.
	 *
	 * @param array $columns The columns.
	 * @return array
	 */
	public static function columns( $columns ) {
		$columns['modq'] = 'modq';
		return $columns;
	}

	/**
	 * The modq column: status, reasons, scores, id.
	 *
	 * @param string $column     The column.
	 * @param int    $comment_id The comment.
	 */
	public static function column( $column, $comment_id ) {
		if ( 'modq' !== $column ) {
			return;
		}
		$modq_id = get_comment_meta( $comment_id, Modq_Comments::META_ID, true );
		if ( ! $modq_id ) {
			$unsent = get_comment_meta( $comment_id, Modq_Comments::META_UNSENT, true );
			echo $unsent ? esc_html__( 'waiting to be sent to modq', 'modq' ) : '&mdash;';
			return;
		}
		$status  = get_comment_meta( $comment_id, Modq_Comments::META_STATUS, true );
		$reasons = json_decode( (string) get_comment_meta( $comment_id, Modq_Comments::META_REASONS, true ), true );
		$scores  = json_decode( (string) get_comment_meta( $comment_id, Modq_Comments::META_SCORES, true ), true );
		echo '<strong class="modq-status">' . esc_html( $status ) . '</strong>';
		if ( is_array( $reasons ) && $reasons ) {
			echo '<ul class="modq-reasons">';
			foreach ( $reasons as $reason ) {
				echo '<li>' . esc_html( '' !== $reason['message'] ? $reason['message'] : $reason['code'] ) . '</li>';
			}
			echo '</ul>';
		}
		if ( is_array( $scores ) ) {
			$shown = array();
			foreach ( $scores as $head => $value ) {
				if ( is_numeric( $value ) ) {
					$shown[] = esc_html( $head ) . ' ' . esc_html( number_format( (float) $value, 2 ) );
				}
			}
			echo '<div class="modq-scores">' . implode( ', ', $shown ) . '</div>'; // phpcs:ignore WordPress.Security.EscapeOutput -- escaped above
		}
		echo '<div class="modq-id"><code>' . esc_html( $modq_id ) . '</code></div>';
	}
}
